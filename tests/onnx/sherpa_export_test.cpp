// sherpa-onnx exports: the graphs (checked, sherpa-onnx's metadata and tensor contract), the
// directory (atomic, refusals), and with the real runtimes from npm (tests/sherpa, installed by
// scripts/install-deps.sh): ONNX Runtime gives LibTorch's values, and sherpa-onnx's streaming
// recognizer emits exactly the tokens of our greedy search on the same audio.
#include "core/onnx/sherpa_export.h"

#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cfloat>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <set>

#include "core/audio/fbank.h"
#include "core/common/error.h"
#include "core/decode/decoder.h"
#include "core/onnx/onnx_graph.h"
#include "core/sparsity/layer_spec.h"
#include "tests/stream/emitting_model.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {
namespace fs = std::filesystem;

// A speech-like test signal: three drifting harmonics, syllable-rate amplitude modulation,
// a little noise, and 0.1 s of digital silence at the start.
std::vector<float> test_wave(uint64_t seed, double seconds) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int64_t n = static_cast<int64_t>(seconds * 16000);
  std::vector<float> w(static_cast<size_t>(n), 0.0f);
  const double f0 = 90 + 120 * u(rng), drift = 40 * (u(rng) - 0.5), rate = 3 + 3 * u(rng);
  std::normal_distribution<double> noise(0.0, 0.003);
  double phase = 0;
  for (int64_t i = 1600; i < n; ++i) {
    const double t = i / 16000.0;
    phase += 2 * M_PI * (f0 + drift * std::sin(2 * M_PI * 0.7 * t)) / 16000.0;
    const double env = 0.5 + 0.5 * std::sin(2 * M_PI * rate * t);
    double v = 0;
    for (int h = 1; h <= 3; ++h) v += std::sin(h * phase + h) / h;
    w[static_cast<size_t>(i)] = static_cast<float>(0.2 * env * v + noise(rng));
  }
  return w;
}

// An emitting model (tests/stream/emitting_model.h) with a stateless predictor and the
// tokenizer's 29 symbols, its CMVN fitted on `waves` (the default front end: sherpa-onnx's).
ModelBundle emitting_bundle(uint64_t seed, const std::vector<std::vector<float>>& waves) {
  TransducerConfig c = test::emitting_config(29);
  c.predictor = "stateless";
  c.context_size = 2;
  const FbankConfig fbank;
  FeatureStats stats(80);
  for (const auto& w : waves) stats.accumulate(compute_fbank(w, fbank));
  stats.finalize();
  torch::manual_seed(seed);
  ModelBundle b = ModelBundle::Create(c, stats);
  b.fbank = fbank;
  b.model->eval();
  test::make_emitting(b.model, stats.apply(compute_fbank(waves[0], fbank)).unsqueeze(0));
  return b;
}

// Magnitude masks keeping the top (1 - s) of every prunable layer (the blank row of the joiner's
// output, which the emitting calibration sets, is kept whole).
void prune(ModelBundle& b, double s) {
  torch::NoGradGuard ng;
  for (const auto& l : b.model->prunable_layers()) {
    if (s == 0) {
      *l.mask = at::Tensor();
      continue;
    }
    auto a = l.weight.abs().flatten();
    const int64_t keep = std::max<int64_t>(1, std::llround((1.0 - s) * a.numel()));
    const float thr = std::get<0>(a.topk(keep)).min().item<float>();
    *l.mask = (l.weight.abs() >= thr).to(torch::kFloat);
    if (l.name == "joiner.out") (*l.mask)[0].fill_(1.0f);
  }
}

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

std::map<std::string, std::string> metadata(const onnx::ModelProto& m) {
  std::map<std::string, std::string> out;
  for (const auto& p : m.metadata_props()) out[p.key()] = p.value();
  return out;
}

void write_raw(const fs::path& p, const void* data, size_t bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

void write_dir(const fs::path& dir, ModelBundle& b, const SherpaExportOptions& o) {
  fs::create_directories(dir);
  for (const auto& [name, bytes] : sherpa_onnx_graphs(b, o)) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
  }
  std::ofstream(dir / "tokens.txt") << sherpa_tokens_txt(b.tokenizer);
}

// The npm runtimes of tests/sherpa, or why they cannot run.
std::string runtime_missing() {
  const fs::path dir = fs::path(OMNISPARSE_SOURCE_DIR) / "tests/sherpa/node_modules";
  for (const char* pkg : {"sherpa-onnx-node", "onnxruntime-node"}) {
    if (!fs::exists(dir / pkg)) {
      return std::string(pkg) + " is not installed in tests/sherpa (run scripts/install-deps.sh)";
    }
  }
  if (test::run_program("node", {"--version"}, 30).exit_code != 0) return "node is not installed";
  return "";
}

std::string script(const char* name) {
  return (fs::path(OMNISPARSE_SOURCE_DIR) / "tests/sherpa" / name).string();
}

// Runs one graph in ONNX Runtime; inputs by position. Returns the outputs as float tensors.
std::vector<at::Tensor> ort_run(const fs::path& model, const std::vector<at::Tensor>& inputs,
                                const fs::path& work) {
  fs::create_directories(work);
  nlohmann::json spec = {{"model", model.string()}, {"out_dir", work.string()}, {"inputs", {}}};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const at::Tensor t = inputs[i].contiguous();
    const fs::path f = work / ("in" + std::to_string(i) + ".bin");
    write_raw(f, t.data_ptr(), static_cast<size_t>(t.nbytes()));
    spec["inputs"].push_back({{"type", t.scalar_type() == at::kLong ? "int64" : "float32"},
                              {"dims", t.sizes().vec()},
                              {"file", f.string()}});
  }
  std::ofstream(work / "spec.json") << spec.dump();
  auto r = test::run_program("node", {script("ort_run.js"), (work / "spec.json").string()});
  if (r.exit_code != 0) throw std::runtime_error("ort_run.js failed: " + r.err);
  std::vector<at::Tensor> out;
  const auto info = nlohmann::json::parse(r.out).at("outputs");
  for (size_t i = 0; i < info.size(); ++i) {
    std::ifstream in(work / (std::to_string(i) + ".bin"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto dims = info[i].at("dims").get<std::vector<int64_t>>();
    out.push_back(at::from_blob(bytes.data(), dims, at::kFloat).clone());
  }
  return out;
}

size_t edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Our features as sherpa-onnx computes them: samples in [-1, 1], no 32768 scale (the default
// front end's floor is FLT_EPSILON on that scale, as kaldi-native-fbank's).
at::Tensor as_sherpa_features(const at::Tensor& ours, const FbankConfig& f) {
  return ours - static_cast<float>(2 * std::log(f.input_scale));
}


// A probe "model" for sherpa-onnx's LSTM transducer that reads out its features: the encoder
// turns each frame's value in mel band `band` into scores -(x - level_k)^2 over kProbeLevels
// levels, the decoder gives zeros, the joiner adds the two; greedy search then emits, for every
// frame, the token of the level nearest to sherpa-onnx's own feature (token 0, blank, never wins).
constexpr int64_t kProbeLevels = 256;
constexpr double kProbeLow = -16.05, kProbeStep = 0.1;  // levels -15.95 .. 9.45, [-1, 1] scale
void write_probe(const fs::path& dir, int64_t band, int64_t chunk) {
  using onnx::TensorProto;
  fs::create_directories(dir);
  at::Tensor levels = kProbeLow + kProbeStep * at::arange(kProbeLevels, at::kDouble).to(at::kFloat);
  levels[0] = 1e6f;  // blank
  const std::string K = std::to_string(kProbeLevels);
  {
    OnnxGraph g("encoder");
    g.input("x", TensorProto::FLOAT, {"N", std::to_string(chunk), "80"});
    g.input("h", TensorProto::FLOAT, {"1", "N", "4"});
    g.input("c", TensorProto::FLOAT, {"1", "N", "4"});
    std::string v = g.node("Gather", {"x", g.initializer("band", at::full({1}, band, at::kLong))},
                           {{"axis", OnnxGraph::attr_int(2)}});                          // [N, T, 1]
    std::string d = g.node("Sub", {v, g.initializer("levels", levels)});                  // [N, T, K]
    std::string score = g.node("Neg", {g.node("Mul", {d, d})});
    g.output("encoder_out", TensorProto::FLOAT, {"N", std::to_string(chunk), K}, score);
    g.output("next_h", TensorProto::FLOAT, {"1", "N", "4"}, g.node("Identity", {"h"}));
    g.output("next_c", TensorProto::FLOAT, {"1", "N", "4"}, g.node("Identity", {"c"}));
    for (auto [k, val] : std::vector<std::pair<const char*, std::string>>{
             {"model_type", "lstm"}, {"version", "1"}, {"decode_chunk_len", std::to_string(chunk)},
             {"T", std::to_string(chunk)}, {"num_encoder_layers", "1"}, {"d_model", "4"},
             {"rnn_hidden_size", "4"}}) {
      g.metadata(k, val);
    }
    std::ofstream(dir / "encoder.onnx", std::ios::binary) << g.serialize();
  }
  {
    OnnxGraph g("decoder");
    g.input("y", TensorProto::INT64, {"N", "2"});
    const std::string y = g.node("Cast", {"y"}, {{"to", OnnxGraph::attr_int(TensorProto::FLOAT)}});
    const std::string zero = g.node("MatMul", {y, g.initializer("zeros", at::zeros({2, kProbeLevels}))});
    g.output("decoder_out", TensorProto::FLOAT, {"N", K}, zero);
    g.metadata("context_size", "2");
    g.metadata("vocab_size", K);
    std::ofstream(dir / "decoder.onnx", std::ios::binary) << g.serialize();
  }
  {
    OnnxGraph g("joiner");
    g.input("encoder_out", TensorProto::FLOAT, {"N", K});
    g.input("decoder_out", TensorProto::FLOAT, {"N", K});
    g.output("logit", TensorProto::FLOAT, {"N", K}, g.node("Add", {"encoder_out", "decoder_out"}));
    g.metadata("joiner_dim", K);
    std::ofstream(dir / "joiner.onnx", std::ios::binary) << g.serialize();
  }
  std::ofstream tokens(dir / "tokens.txt");
  tokens << "<blk> 0\n";
  for (int64_t k = 1; k < kProbeLevels; ++k) tokens << "L" << k << " " << k << "\n";
}
}  // namespace

TEST(SherpaExport, GraphsAreCheckedAndCarrySherpaOnnxsContract) {
  const std::vector<std::vector<float>> waves{test_wave(1, 1.0)};
  ModelBundle b = emitting_bundle(5, waves);
  SherpaExportOptions o;
  o.chunk_frames = 16;
  const auto graphs = sherpa_onnx_graphs(b, o);
  ASSERT_EQ(graphs.size(), 3u);
  const TransducerConfig& c = b.config;

  const auto enc = parse(graphs.at("encoder.onnx"));
  ASSERT_EQ(enc.graph().input_size(), 3);
  ASSERT_EQ(enc.graph().output_size(), 3);
  const auto& x = enc.graph().input(0).type().tensor_type().shape();
  EXPECT_EQ(x.dim(1).dim_value(), 16);
  EXPECT_EQ(x.dim(2).dim_value(), 80);
  const auto& h = enc.graph().input(1).type().tensor_type().shape();
  EXPECT_EQ(h.dim(0).dim_value(), c.encoder_layers);
  EXPECT_EQ(h.dim(2).dim_value(), c.encoder_hidden);
  const auto& eo = enc.graph().output(0).type().tensor_type().shape();
  EXPECT_EQ(eo.dim(1).dim_value(), 16 / 4 * 3);  // 4 frames a chunk, each repeated 3 times
  EXPECT_EQ(eo.dim(2).dim_value(), c.joiner_dim);
  const auto em = metadata(enc);
  EXPECT_EQ(em.at("model_type"), "lstm");
  EXPECT_EQ(em.at("T"), "16");
  EXPECT_EQ(em.at("decode_chunk_len"), "16");
  EXPECT_EQ(em.at("num_encoder_layers"), std::to_string(c.encoder_layers));
  EXPECT_EQ(em.at("d_model"), std::to_string(c.encoder_hidden));
  EXPECT_EQ(em.at("rnn_hidden_size"), std::to_string(c.encoder_hidden));

  const auto dec = parse(graphs.at("decoder.onnx"));
  ASSERT_EQ(dec.graph().input_size(), 1);
  EXPECT_EQ(dec.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  ASSERT_EQ(dec.graph().output_size(), 1);  // one output: sherpa-onnx's transducer, not NeMo's
  EXPECT_EQ(dec.graph().output(0).type().tensor_type().shape().dim_size(), 2);
  EXPECT_EQ(metadata(dec).at("context_size"), "2");
  EXPECT_EQ(metadata(dec).at("vocab_size"), "29");

  const auto join = parse(graphs.at("joiner.onnx"));
  ASSERT_EQ(join.graph().input_size(), 2);
  ASSERT_EQ(join.graph().output_size(), 1);
  EXPECT_EQ(join.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 29);
}

TEST(SherpaExport, RefusesWhatSherpaOnnxCannotRun) {
  ModelBundle lstm = ModelBundle::Create(test::emitting_config(29), [] {
    FeatureStats s(80);
    s.accumulate(at::randn({10, 80}));
    s.finalize();
    return s;
  }());
  try {
    sherpa_onnx_graphs(lstm, {});
    FAIL() << "an LSTM predictor was exported";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("stateless predictor"), std::string::npos) << e.what();
  }
  ModelBundle b = emitting_bundle(6, {test_wave(2, 1.0)});
  SherpaExportOptions odd;
  odd.chunk_frames = 30;  // not a multiple of the frame stacking
  EXPECT_THROW(sherpa_onnx_graphs(b, odd), InvalidArgument);
  SherpaExportOptions zero;
  zero.symbols_per_frame = 0;
  EXPECT_THROW(sherpa_onnx_graphs(b, zero), InvalidArgument);
}

TEST(SherpaExport, Int8StoresTheMatricesInAboutAQuarter) {
  ModelBundle b = emitting_bundle(7, {test_wave(3, 1.0)});
  SherpaExportOptions fp32, int8;
  int8.int8 = true;
  const auto f = sherpa_onnx_graphs(b, fp32), q = sherpa_onnx_graphs(b, int8);
  EXPECT_LT(q.at("encoder.onnx").size(), 0.45 * f.at("encoder.onnx").size());
  for (const char* name : {"encoder.onnx", "decoder.onnx", "joiner.onnx"}) {
    EXPECT_LT(q.at(name).size(), f.at(name).size()) << name;
  }
}

TEST(SherpaExport, TokensTxtNamesEveryIdWithTheWordMarkForTheSpace) {
  const std::string t = sherpa_tokens_txt(CharTokenizer());
  std::istringstream in(t);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 29u);
  EXPECT_EQ(lines[0], "<blk> 0");
  EXPECT_EQ(lines[1], "\xe2\x96\x81 1");
  EXPECT_EQ(lines[2], "a 2");
  EXPECT_EQ(lines[28], "' 28");
}

TEST(SherpaExport, DirectoryIsWrittenAtOnceAndAnExistingOneIsReplacedOnlyWithForce) {
  test::TempDir tmp;
  RunModel rm;
  rm.bundle = emitting_bundle(8, {test_wave(4, 1.0)});
  rm.specs = specs_of(rm.bundle.model->prunable_layers());
  rm.run = tmp / "run";
  rm.mode = "dense";
  const fs::path dir = tmp / "out" / "model";
  SherpaExportReport r = export_sherpa_onnx(rm, rm.uniform(0.0), dir, {});
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"decoder.onnx", "encoder.onnx", "joiner.onnx",
                                          "model.json", "tokens.txt"}));
  const auto info = nlohmann::json::parse(test::run_program("cat", {(dir / "model.json").string()}).out);
  EXPECT_EQ(info.at("format"), "sherpa-onnx");
  EXPECT_EQ(info.at("files").at("encoder.onnx").at("bytes"), fs::file_size(dir / "encoder.onnx"));
  const auto sum = test::run_program("sha256sum", {(dir / "encoder.onnx").string()}).out;
  EXPECT_EQ(sum.substr(0, 64), info.at("files").at("encoder.onnx").at("sha256"));
  EXPECT_TRUE(info.at("feature_differences").empty()) << info.dump();  // the default front end
  FbankConfig old = rm.bundle.fbank;  // a model saved before the defaults became sherpa-onnx's
  old.snip_edges = true;
  old.mel_floor = FLT_EPSILON / (32768.0 * 32768.0);
  const auto differences = sherpa_feature_differences(old);
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_NE(differences[0].find("mel_floor"), std::string::npos) << differences[0];
  // Kaldi's floor is FLT_EPSILON on the int16 scale: ln(32768^2) = 20.8 below sherpa-onnx's.
  EXPECT_NE(differences[0].find("20.8 higher in the log): quiet bands it clips"), std::string::npos)
      << differences[0];
  EXPECT_NE(differences[1].find("snip_edges"), std::string::npos) << differences[1];
  FbankConfig above = rm.bundle.fbank;  // a floor above sherpa-onnx's clips what it resolves
  above.mel_floor = 1e-4;
  const auto above_differences = sherpa_feature_differences(above);
  ASSERT_EQ(above_differences.size(), 1u);
  EXPECT_NE(above_differences[0].find("lower in the log): quiet bands ours clip"),
            std::string::npos) << above_differences[0];
  EXPECT_EQ(r.total_bytes(), static_cast<int64_t>(fs::file_size(dir / "encoder.onnx") +
                                                  fs::file_size(dir / "decoder.onnx") +
                                                  fs::file_size(dir / "joiner.onnx") +
                                                  fs::file_size(dir / "tokens.txt")));

  // Not empty: refused without --force, nothing touched; replaced with it.
  std::ofstream(dir / "mine.txt") << "keep";
  try {
    export_sherpa_onnx(rm, rm.uniform(0.0), dir, {});
    FAIL() << "a non-empty directory was overwritten";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos);
  }
  EXPECT_TRUE(fs::exists(dir / "mine.txt"));
  SherpaExportOptions force;
  force.force = true;
  export_sherpa_onnx(rm, rm.uniform(0.0), dir, force);
  EXPECT_FALSE(fs::exists(dir / "mine.txt"));
  EXPECT_TRUE(fs::exists(dir / "encoder.onnx"));

  // A parent that is a file: one IoError naming it, no temporary left behind.
  std::ofstream(tmp / "file") << "x";
  EXPECT_THROW(export_sherpa_onnx(rm, rm.uniform(0.0), tmp / "file" / "model", {}), IoError);
  for (const auto& e : fs::directory_iterator(tmp / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".model.tmp"), std::string::npos) << e.path();
  }
}

TEST(SherpaExportRuntime, OnnxRuntimeGivesLibTorchsValues) {
  if (const std::string why = runtime_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir tmp;
  const auto wave = test_wave(11, 1.2);
  ModelBundle b = emitting_bundle(12, {wave});
  // The signal starts with digital silence: its bands sit at the floor, shifted like the rest.
  const at::Tensor ours = compute_fbank(wave, b.fbank);
  const at::Tensor theirs = as_sherpa_features(ours, b.fbank);  // [F, 80]
  torch::NoGradGuard ng;
  for (double s : {0.0, 0.5, 0.9}) {
    prune(b, s);
    SherpaExportOptions o;
    o.chunk_frames = 32;
    const fs::path dir = tmp / ("s" + std::to_string(int(s * 100)));
    write_dir(dir, b, o);
    // Two chunks in a row through ONNX Runtime, the state carried between them.
    const int64_t L = b.config.encoder_layers, H = b.config.encoder_hidden;
    at::Tensor h = at::zeros({L, 1, H}), c = at::zeros({L, 1, H});
    EncoderStreamState st;
    for (int64_t k = 0; k < 2; ++k) {
      auto x = theirs.narrow(0, 32 * k, 32).unsqueeze(0);
      auto out = ort_run(dir / "encoder.onnx", {x, h, c}, tmp / "ort");
      ASSERT_EQ(out.size(), 3u);
      auto enc = b.model->encode_chunk(b.stats.apply(ours.narrow(0, 32 * k, 32)).unsqueeze(0), st);
      auto ep = b.model->joiner->project_enc(enc[0]);                          // [8, J]
      auto want = ep.unsqueeze(1).expand({8, 3, b.config.joiner_dim}).reshape({24, -1});
      EXPECT_LT((out[0][0] - want).abs().max().item<double>(), 1e-4) << "sparsity " << s;
      EXPECT_LT((out[1] - st.lstm->h).abs().max().item<double>(), 1e-4) << "sparsity " << s;
      EXPECT_LT((out[2] - st.lstm->c).abs().max().item<double>(), 1e-4) << "sparsity " << s;
      h = out[1];
      c = out[2];
    }
    // The decoder over sherpa-onnx's start context [-1, 0] and a later one [3, 5].
    auto dec = ort_run(dir / "decoder.onnx", {at::tensor({-1, 0, 3, 5}, at::kLong).reshape({2, 2})},
                       tmp / "ort");
    auto start = b.model->predict(at::zeros({1, 1}, at::kLong)).pred[0][0];
    const LSTMState history{at::full({1, 1, 1}, 3, at::kLong), at::zeros({1, 1, 0})};
    auto later = b.model->predict(at::full({1, 1}, 5, at::kLong), history).pred[0][0];
    auto want = b.model->joiner->project_pred(at::stack(std::vector<at::Tensor>{start, later}));
    EXPECT_LT((dec[0] - want).abs().max().item<double>(), 1e-4) << "sparsity " << s;
    // The joiner on random rows.
    auto e = at::randn({4, b.config.joiner_dim}), d = at::randn({4, b.config.joiner_dim});
    auto logit = ort_run(dir / "joiner.onnx", {e, d}, tmp / "ort");
    EXPECT_LT((logit[0] - b.model->joiner->combine(e, d)).abs().max().item<double>(), 1e-4);
  }
}

// Feature parity with the real runtime: the same waveform through sherpa-onnx's front end
// (kaldi-native-fbank, read out by the probe model) and through ours (the default FbankConfig),
// every frame of four bands, to the probe's resolution (half a level step). The signal starts
// with digital silence (the floor) and ends in sherpa-onnx's tail of silence (the mirrored end).
TEST(SherpaExportRuntime, SherpaOnnxComputesOurFeatures) {
  if (const std::string why = runtime_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir tmp;
  const std::vector<float> wave = test_wave(31, 1.3);
  write_raw(tmp / "u.f32", wave.data(), wave.size() * sizeof(float));
  std::ofstream(tmp / "list.tsv") << "u\t" << (tmp / "u.f32").string() << "\n";
  const double tail_s = 0.5;
  std::vector<float> padded = wave;
  padded.resize(padded.size() + static_cast<size_t>(tail_s * 16000), 0.0f);
  const FbankConfig fbank;
  const at::Tensor ours = as_sherpa_features(compute_fbank(padded, fbank), fbank);  // [F, 80]
  const int64_t chunk = 32;
  const int64_t decoded = (ours.size(0) - 1) / chunk * chunk;  // whole chunks, as it decodes them
  for (int64_t band : {0, 23, 57, 79}) {
    SCOPED_TRACE(band);
    const fs::path dir = tmp / ("probe" + std::to_string(band));
    write_probe(dir, band, chunk);
    auto r = test::run_program("node", {script("sherpa_decode.js"), dir.string(),
                                        (tmp / "list.tsv").string(), std::to_string(tail_s)}, 300);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = nlohmann::json::parse(r.out);
    const auto tokens = got.at("tokens").get<std::vector<std::string>>();
    ASSERT_EQ(static_cast<int64_t>(tokens.size()), decoded);  // one per frame
    double worst = 0;
    int64_t at_floor = 0;
    for (int64_t t = 0; t < decoded; ++t) {
      const double level = kProbeLow + kProbeStep * std::stoi(tokens[static_cast<size_t>(t)].substr(1));
      const double mine = ours[t][band].item<double>();
      worst = std::max(worst, std::abs(level - mine));
      at_floor += mine < std::log(FLT_EPSILON) + 1e-3;
    }
    EXPECT_LE(worst, kProbeStep / 2 + 1e-3);
    EXPECT_GT(at_floor, 10) << "the silence should reach the floor";
  }
}

TEST(SherpaExportRuntime, SherpaOnnxEmitsTheTokensOfOurGreedySearch) {
  if (const std::string why = runtime_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir tmp;
  std::vector<std::vector<float>> waves;
  for (uint64_t i = 0; i < 5; ++i) waves.push_back(test_wave(20 + i, 1.5 + 0.4 * i));
  ModelBundle b = emitting_bundle(21, waves);
  // No silent tail: in digital silence the encoder of this random model settles where blank and
  // a symbol are nearly tied, and float rounding would decide. sherpa-onnx then decodes the
  // whole chunks that are ready when the input ends.
  const double tail_s = 0.0;
  std::ofstream list(tmp / "list.tsv");
  for (size_t i = 0; i < waves.size(); ++i) {
    const fs::path f = tmp / ("u" + std::to_string(i) + ".f32");
    write_raw(f, waves[i].data(), waves[i].size() * sizeof(float));
    list << "u" << i << "\t" << f.string() << "\n";
  }
  list.close();
  torch::NoGradGuard ng;
  for (double s : {0.0, 0.9}) {
    prune(b, s);
    // Calibrated again with the masks, so the sparse model emits symbols too.
    test::make_emitting(b.model, b.stats.apply(compute_fbank(waves[0], b.fbank)).unsqueeze(0));
    SherpaExportOptions o;  // chunks of 32 frames, 3 symbols per frame: GreedyOptions' default
    const fs::path dir = tmp / ("s" + std::to_string(int(s * 100)));
    write_dir(dir, b, o);
    auto r = test::run_program("node", {script("sherpa_decode.js"), dir.string(),
                                        (tmp / "list.tsv").string(), std::to_string(tail_s)},
                               300);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(r.out);
    size_t i = 0, same = 0, symbols = 0, errors = 0;
    for (std::string line; std::getline(lines, line); ++i) {
      ASSERT_LT(i, waves.size());
      const auto got = nlohmann::json::parse(line);
      // Ours on the same samples and tail, over the chunks sherpa-onnx decodes: chunk k runs
      // once 32 (k + 1) < frames.
      std::vector<float> padded = waves[i];
      padded.resize(padded.size() + static_cast<size_t>(tail_s * 16000), 0.0f);
      const at::Tensor f = compute_fbank(padded, b.fbank);
      const int64_t used = (f.size(0) - 1) / o.chunk_frames * o.chunk_frames;
      auto x = b.stats.apply(f.narrow(0, 0, used)).unsqueeze(0);
      const auto want = greedy_decode(b.model, b.model->encode(x, at::tensor({used})).enc[0]);
      std::vector<std::string> want_syms;
      // sherpa-onnx reports its word mark "▁" (our space) as " " in the tokens, as in the text.
      for (int64_t id : want.tokens) want_syms.push_back(b.tokenizer.symbol(id));
      const auto got_syms = got.at("tokens").get<std::vector<std::string>>();
      same += got_syms == want_syms;
      symbols += want_syms.size();
      errors += edit_distance(got_syms, want_syms);
    }
    EXPECT_EQ(i, waves.size());
    // The two front ends (kaldi-native-fbank, ours) agree to float rounding, not bit for bit,
    // and this random model has decisions with margins of a few hundredths: most utterances
    // come out identical, the rest within a few symbols (a broken graph gives garbage).
    EXPECT_GE(symbols, 100u) << "the test model should emit symbols, sparsity " << s;
    EXPECT_GE(same, waves.size() - 1) << "sparsity " << s;
    EXPECT_LE(errors, 0.03 * symbols) << "sparsity " << s;
  }
}

}  // namespace omnisparse
