// sherpa-onnx parity (a diagnostic, not a benchmark): a run's sub-network decoded by our own
// greedy search on the audio exactly as sherpa-onnx's streaming recognizer hears it, so that
// its transcripts can be compared with the runtime's one for one (experiments/sherpa_onnx):
// kaldi-native-fbank's framing and floor (the model's FbankConfig with snip_edges false and
// mel_floor FLT_EPSILON, today's defaults; a model saved with the older front end hears a
// different one there), TAIL seconds of zeros after each file, only the whole CHUNK-frame chunks
// it decodes, up to M symbols a frame.
//
//   build/bin/bench_sherpa_parity RUN LIST.tsv SPARSITY [TAIL=0.5] [CHUNK=32] [M=3]
//
// LIST: "id<TAB>path.f32" lines (raw float32 16 kHz mono). Prints one JSON line {"id", "text"}
// per file.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/audio/fbank.h"
#include "core/decode/decoder.h"
#include "core/eval/run_model.h"

using namespace omnisparse;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s RUN LIST.tsv SPARSITY [TAIL=0.5] [CHUNK=32] [M=3]\n", argv[0]);
    return 2;
  }
  torch::set_num_threads(1);
  try {
    RunModel rm = RunModel::Load(argv[1]);
    rm.select(rm.uniform(std::stod(argv[3])));
    const double tail = argc > 4 ? std::stod(argv[4]) : 0.5;
    const int64_t chunk = argc > 5 ? std::stoll(argv[5]) : 32;
    GreedyOptions greedy;
    greedy.max_symbols_per_frame = argc > 6 ? std::stoi(argv[6]) : 3;
    FbankConfig sherpa_fbank = rm.bundle.fbank;
    sherpa_fbank.snip_edges = false;
    sherpa_fbank.mel_floor = FbankConfig::kMelFloor;
    auto& m = rm.bundle.model;
    m->eval();
    torch::NoGradGuard ng;
    std::ifstream list(argv[2]);
    for (std::string line; std::getline(list, line);) {
      const auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      const std::string id = line.substr(0, tab), path = line.substr(tab + 1);
      std::ifstream in(path, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::vector<float> w(bytes.size() / sizeof(float));
      std::memcpy(w.data(), bytes.data(), w.size() * sizeof(float));
      w.resize(w.size() + static_cast<size_t>(tail * 16000), 0.0f);
      const at::Tensor f = compute_fbank(w, sherpa_fbank);
      const int64_t used = f.size(0) > 0 ? (f.size(0) - 1) / chunk * chunk : 0;
      std::string text;
      if (used > 0) {
        auto x = rm.bundle.stats.apply(f.narrow(0, 0, used)).unsqueeze(0);
        auto enc = m->encode(x, torch::full({1}, used, torch::kLong)).enc[0];
        text = rm.bundle.tokenizer.decode(greedy_decode(m, enc, greedy).tokens);
      }
      std::cout << nlohmann::json{{"id", id}, {"text", text}}.dump() << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sherpa_parity: %s\n", e.what());
    return 1;
  }
  return 0;
}
