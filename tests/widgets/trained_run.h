// A real run directory for widget tests: a tiny corpus synthesised and an omni supernet trained
// for 4 steps with the real CLI (a few seconds), made once per test binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/test_support.h"

namespace omnisparse::widgets {

// One trained tiny omni run for the whole binary (a few seconds of real training); with
// `stateless`, a second one with the stateless predictor (what sherpa-onnx exports need).
inline const std::filesystem::path& trained_run(bool stateless = false) {
  namespace fs = std::filesystem;
  static test::TempDir* dirs[2] = {nullptr, nullptr};
  static fs::path runs[2];
  test::TempDir*& dir = dirs[stateless];
  fs::path& run = runs[stateless];
  if (!dir) dir = new test::TempDir("omnisparse-widgets-run");
  if (run.empty()) {
    const std::string corpus = (*dir / "corpus").string();
    const auto s = test::run_cli({"-q", "synth", "--out", corpus, "--utterances", "24", "--seed", "5"});
    EXPECT_EQ(s.exit_code, 0) << s.err;
    std::ofstream(*dir / "train.json") << R"({"max_frames_per_batch": 800, "max_batch": 4,
      "eval_utterances": 2, "eval_levels": [0.0], "checkpoint_every": 1000, "eval_every": 1000,
      "lr_warmup_steps": 2, "omni": {"k": 2, "refresh_every": 2, "warmup": 0.1, "ramp_end": 0.5})"
                                     << (stateless ? R"(, "model": {"predictor": "stateless"}})" : "}");
    const auto t = test::run_cli({"-q", "train", "--data", corpus, "--run", (*dir / "run").string(),
                                  "--config", (*dir / "train.json").string(), "--steps", "4"}, 240);
    EXPECT_EQ(t.exit_code, 0) << t.err;
    run = *dir / "run";
  }
  return run;
}

}  // namespace omnisparse::widgets
