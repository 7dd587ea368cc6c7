// `inspect` on users' own data: a Kaldi data directory and a Common Voice-shaped TSV manifest
// (core/data/manifests.h), as a user points the CLI at them.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/audio/audio_io.h"
#include "tests/test_support.h"

using omnisparse::test::run_cli;
using omnisparse::test::TempDir;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

void tone_file(const fs::path& p, double seconds) {
  std::vector<float> x(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.2f * static_cast<float>(std::sin(2 * M_PI * 330 * i / 16000));
  fs::create_directories(p.parent_path());
  omnisparse::write_audio(p, x, 16000);
}

}  // namespace

TEST(OwnDataCli, InspectReadsKaldiDirectoriesAndTsvManifests) {
  TempDir tmp;
  // data/{train,test} as Kaldi directories.
  for (const char* sub : {"train", "test"}) {
    const fs::path d = tmp / "data" / sub;
    tone_file(d / "a.wav", 1.0);
    tone_file(d / "b.flac", 2.0);
    write_text(d / "wav.scp", "a a.wav\nb b.flac\n");
    write_text(d / "text", "a hello\nb good morning\n");
  }
  const auto k = run_cli({"inspect", (tmp / "data").string(), "--json"});
  ASSERT_EQ(k.exit_code, 0) << k.err;
  const auto kj = nlohmann::json::parse(k.out);
  EXPECT_EQ(kj["subsets"]["train"]["utterances"], 2);
  EXPECT_EQ(kj["subsets"]["test"]["utterances"], 2);
  EXPECT_NEAR(kj["subsets"]["train"]["hours"].get<double>(), 3.0 / 3600, 1e-6);

  // cv/{train,test}.tsv with the audio in clips/.
  tone_file(tmp / "cv" / "clips" / "x1.wav", 1.5);
  tone_file(tmp / "cv" / "clips" / "x2.wav", 0.5);
  write_text(tmp / "cv" / "train.tsv", "client_id\tpath\tsentence\nc1\tx1.wav\tHello.\n");
  write_text(tmp / "cv" / "test.tsv", "client_id\tpath\tsentence\nc2\tx2.wav\tBye.\n");
  const auto t = run_cli({"inspect", (tmp / "cv").string(), "--json"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto tj = nlohmann::json::parse(t.out);
  EXPECT_EQ(tj["subsets"]["train"]["utterances"], 1);
  EXPECT_EQ(tj["subsets"]["test"]["speakers"], 1);

  // A bad line is one line on stderr naming the file and the line.
  write_text(tmp / "cv" / "test.tsv", "client_id\tpath\tsentence\nc2\tx2.wav\t\n");
  const auto bad = run_cli({"inspect", (tmp / "cv" / "test.tsv").string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("test.tsv: line 2: empty transcript for 'x2'"), std::string::npos) << bad.err;
}
