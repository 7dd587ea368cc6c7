// Exporting a run's sub-network and loading it back: exact weights, the exact byte count the
// accounting predicts, and decoding identical to the masked supernet.
#include "core/eval/model_file.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "core/common/error.h"
#include "core/decode/decoder.h"
#include "core/io/model_import.h"
#include "core/model/transducer_config.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

FeatureStats some_stats() {
  FeatureStats s(80);
  s.accumulate(at::randn({50, 80}) * 3 + 10);
  s.finalize();
  return s;
}

// A tiny-preset "run" with frozen ranks, as RunModel::Load would give it (no run dir needed).
RunModel tiny_run(uint64_t seed, Granularity g = Granularity::Unstructured(),
                  TransducerConfig cfg = preset("tiny")) {
  torch::manual_seed(seed);
  cfg.dropout = 0.0;
  RunModel rm;
  rm.bundle = ModelBundle::Create(cfg, some_stats());
  rm.bundle.model->eval();
  const PrunableLayers layers = rm.bundle.model->prunable_layers();
  rm.specs = specs_of(layers);
  RankSet r(g);
  r.refresh(layers);
  r.freeze();
  rm.ranks = std::move(r);
  rm.run = "runs/unit";
  rm.mode = "omni";
  return rm;
}

uint64_t data_section(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  return fs::file_size(p) - 8 - n;
}

// The model's parameters with the current masks applied: what the masked supernet computes with.
std::map<std::string, at::Tensor> effective_weights(RunModel& rm) {
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, t] : rm.bundle.weights()) out[name] = t;
  for (const auto& p : rm.bundle.model->named_parameters())
    for (const auto& l : rm.bundle.model->prunable_layers())
      if (l.weight.data_ptr() == p.value().data_ptr() && l.mask->defined())
        out["model." + p.key()] = (p.value() * *l.mask).detach();
  return out;
}

}  // namespace

// The format follows the extension; any other name is refused before anything is written.
TEST(ModelFile, AnExtensionThatNamesNoModelFormatIsRefusedAndNothingIsWritten) {
  test::TempDir dir;
  RunModel rm = tiny_run(2);
  for (const std::string name : {"m.onnx", "m.onnx2", "model", "m.safetensors.bak"}) {
    try {
      export_model(rm, rm.uniform(0.5), dir / name);
      ADD_FAILURE() << name << " was written";
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(std::string(e.what()).rfind((dir / name).string() + ": a model file is .safetensors", 0), 0u)
          << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / name)) << name;
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ModelFile, ConfigParamCountIsExact) {
  for (const std::string name : {"tiny", "small"}) {
    TransducerConfig c = preset(name);
    EXPECT_EQ(config_param_count(c), Transducer(c)->num_parameters()) << name;
    c.ctc_weight = 0.3;
    c.encoder_layers = 2;
    EXPECT_EQ(config_param_count(c), Transducer(c)->num_parameters()) << name << " + ctc";
    c.ctc_upsample = 2;
    EXPECT_EQ(config_param_count(c), Transducer(c)->num_parameters()) << name << " + ctc x2";
  }
}

TEST(ModelFile, ExportsShrinkToTheAccountedBytesAndReloadExactly) {
  test::TempDir dir;
  RunModel rm = tiny_run(1);
  int64_t dense_file = 0;
  for (double s : {0.0, 0.5, 0.8, 0.9}) {
    const fs::path out = dir / ("s" + std::to_string(int(s * 100)) + ".safetensors");
    const SubnetConfig cfg = rm.uniform(s);
    ExportReport r = export_model(rm, cfg, out);
    // The data section is exactly what the accounting counts (fp32 values, int32 indices).
    EXPECT_EQ(static_cast<int64_t>(data_section(out)), r.accounting.bytes_stored) << s;
    EXPECT_EQ(r.file_bytes, static_cast<int64_t>(fs::file_size(out)));
    if (s == 0.0) dense_file = r.file_bytes;
    std::printf("[ export ] sparsity %.2f: %lld bytes (dense params %lld bytes, stored %lld), "
                "%.3f of the dense file\n",
                s, static_cast<long long>(r.file_bytes), static_cast<long long>(r.accounting.bytes_dense),
                static_cast<long long>(r.accounting.bytes_stored),
                static_cast<double>(r.file_bytes) / static_cast<double>(dense_file));
    // At 50 % CSR (8 bytes per kept weight) is no smaller than dense, so every layer stays dense
    // and the file is the dense file's size (metadata of equal length); from 80 % it shrinks.
    if (s >= 0.8) {
      EXPECT_LT(r.file_bytes, dense_file);
    }
    if (s == 0.5) {
      EXPECT_EQ(r.accounting.bytes_stored, r.accounting.bytes_dense);
    }

    LoadedExport e = load_export(out);
    const auto want = effective_weights(rm);
    int64_t compared = 0;
    for (const auto& [name, t] : e.bundle.weights()) {
      EXPECT_TRUE(t.equal(want.at(name))) << name << " at " << s;
      ++compared;
    }
    EXPECT_EQ(compared, static_cast<int64_t>(want.size()));
    ASSERT_TRUE(e.config.has_value());
    EXPECT_EQ(*e.config, cfg);
    EXPECT_EQ(e.subnet_id, cfg.id());
    EXPECT_EQ(e.nonzero_params, r.accounting.nnz_total);
    for (const auto& l : e.bundle.model->prunable_layers()) EXPECT_FALSE(l.mask->defined());
  }
}

TEST(ModelFile, BlockExportStoresTilesAndReloadsExactly) {
  test::TempDir dir;
  RunModel rm = tiny_run(2, Granularity::Block(4, 4));
  const SubnetConfig cfg = rm.uniform(0.8);
  ExportReport r = export_model(rm, cfg, dir / "b.safetensors");
  EXPECT_EQ(static_cast<int64_t>(data_section(dir / "b.safetensors")), r.accounting.bytes_stored);
  const StoredModel s = read_model_safetensors(dir / "b.safetensors");
  EXPECT_EQ(s.storage["model.joiner.out.weight"]["format"], "bsr");
  const auto want = effective_weights(rm);
  for (const auto& [name, t] : load_exported_model(dir / "b.safetensors").weights())
    EXPECT_TRUE(t.equal(want.at(name))) << name;
}

TEST(ModelFile, Hdf5ExportReloadsTheSameModelAsSafetensors) {
  test::TempDir dir;
  RunModel rm = tiny_run(3);
  const SubnetConfig cfg = rm.uniform(0.9);
  ExportReport h = export_model(rm, cfg, dir / "m.h5");
  export_model(rm, cfg, dir / "m.safetensors");
  EXPECT_EQ(h.format, "hdf5");
  std::printf("[ export ] 90 %%: HDF5 %lld bytes, safetensors %lld bytes\n",
              static_cast<long long>(h.file_bytes),
              static_cast<long long>(fs::file_size(dir / "m.safetensors")));
  const auto a = load_exported_model(dir / "m.h5").weights();
  const auto b = load_exported_model(dir / "m.safetensors").weights();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(a[i].second.equal(b[i].second)) << a[i].first;
  }
}

TEST(ModelFile, LoadedExportDecodesExactlyLikeTheMaskedSupernet) {
  test::TempDir dir;
  RunModel rm = tiny_run(4);
  {
    // Sharpen the joiner and calibrate the blank bias so the random model emits tokens.
    torch::NoGradGuard ng;
    rm.bundle.model->joiner->out->weight.mul_(6.0);
    rm.bundle.model->joiner->out->bias.mul_(6.0);
    rm.bundle.model->joiner->out->bias[0] -= 2.0;
  }
  const SubnetConfig cfg = rm.uniform(0.8);
  export_model(rm, cfg, dir / "m.safetensors");  // leaves the 80 % masks selected in rm
  ModelBundle loaded = load_exported_model(dir / "m.safetensors");
  int64_t tokens = 0;
  for (int utt = 0; utt < 5; ++utt) {
    torch::NoGradGuard ng;
    const int64_t T = 120 + 40 * utt;
    const at::Tensor feats = torch::randn({1, T, 80});
    const at::Tensor lens = torch::tensor({T});
    auto a = rm.bundle.model->encode(feats, lens);
    auto b = loaded.model->encode(feats, lens);
    EXPECT_TRUE(torch::allclose(a.enc, b.enc, 1e-6, 1e-6)) << utt;
    const DecodeResult ra = greedy_decode(rm.bundle.model, a.enc[0]);
    const DecodeResult rb = greedy_decode(loaded.model, b.enc[0]);
    EXPECT_EQ(ra.tokens, rb.tokens) << utt;
    EXPECT_EQ(ra.frames, rb.frames) << utt;
    tokens += static_cast<int64_t>(ra.tokens.size());
  }
  EXPECT_GT(tokens, 10);  // the comparison is not between two empty outputs
  // The masks matter: the dense supernet decodes differently on the same input.
  rm.select(rm.uniform(0.0));
  torch::NoGradGuard ng;
  const at::Tensor feats = torch::randn({1, 400, 80});
  auto dense = rm.bundle.model->encode(feats, torch::tensor({400}));
  auto sparse = loaded.model->encode(feats, torch::tensor({400}));
  EXPECT_FALSE(torch::allclose(dense.enc, sparse.enc, 1e-3, 1e-3));
}

TEST(ModelFile, ForgedHugeModelConfigIsRefusedBeforeBuildingTheModel) {
  test::TempDir dir;
  RunModel rm = tiny_run(5);
  export_model(rm, rm.uniform(0.5), dir / "m.safetensors");
  StoredModel s = read_model_safetensors(dir / "m.safetensors");
  auto cfg = nlohmann::json::parse(s.metadata.at("omnisparse.model_config"));
  cfg["encoder_hidden"] = 1000000;  // 4e12 LSTM weights
  s.metadata["omnisparse.model_config"] = cfg.dump();
  PackedModel again = pack_model({s.tensors, s.metadata, {}});
  again.metadata[kStorageKey] = "{}";
  write_safetensors(dir / "forged.safetensors", again.tensors, again.metadata);
  try {
    load_export(dir / "forged.safetensors");
    FAIL() << "loaded a forged config";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("above the loader's limit"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, ExtraOrMissingParametersAreRefused) {
  test::TempDir dir;
  RunModel rm = tiny_run(6);
  export_model(rm, rm.uniform(0.5), dir / "m.safetensors");
  StoredModel s = read_model_safetensors(dir / "m.safetensors");
  auto write = [&](NamedTensors ts) {
    PackedModel p = pack_model({std::move(ts), s.metadata, {}});
    p.metadata[kStorageKey] = "{}";
    write_safetensors(dir / "x.safetensors", p.tensors, p.metadata);
    try {
      load_export(dir / "x.safetensors");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  NamedTensors extra = s.tensors;
  extra.emplace_back("model.backdoor", at::zeros({2}));
  EXPECT_NE(write(extra).find("'model.backdoor' is not a parameter"), std::string::npos);
  NamedTensors missing(s.tensors.begin() + 1, s.tensors.end());
  EXPECT_NE(write(missing).find("missing tensor"), std::string::npos);
}

}  // namespace omnisparse

namespace omnisparse {

// The dry-run preview the export dialog shows is the accounting the export then writes, and it
// writes nothing.
TEST(ModelFile, ExportAccountingPreviewEqualsTheWrittenExport) {
  test::TempDir dir;
  RunModel rm = tiny_run(4);
  for (double s : {0.0, 0.7, 0.95}) {
    const SubnetConfig cfg = rm.uniform(s);
    const Accounting preview = export_accounting(rm, cfg);
    EXPECT_TRUE(fs::is_empty(dir.path()));
    const ExportReport r = export_model(rm, cfg, dir / "m.safetensors");
    EXPECT_EQ(preview.nnz_total, r.accounting.nnz_total) << s;
    EXPECT_EQ(preview.bytes_stored, r.accounting.bytes_stored) << s;
    EXPECT_EQ(preview.bytes_dense, r.accounting.bytes_dense) << s;
    EXPECT_EQ(static_cast<int64_t>(data_section(dir / "m.safetensors")), preview.bytes_stored);
    fs::remove(dir / "m.safetensors");
    fs::remove(dir / "m.safetensors.sha256.json");
  }
}

}  // namespace omnisparse

namespace omnisparse {
namespace {

int64_t masked_layers(RunModel& rm) {
  int64_t n = 0;
  for (const auto& l : rm.bundle.model->prunable_layers()) n += l.mask->defined() ? 1 : 0;
  return n;
}

TEST(SelectedSubnet, MasksHoldInsideTheScopeAndTheDenseModelComesBackAfterEvenOnThrow) {
  RunModel rm = tiny_run(3);
  const int64_t layers = static_cast<int64_t>(rm.specs.size());
  {
    SelectedSubnet selected(rm, rm.uniform(0.8));
    EXPECT_EQ(masked_layers(rm), layers);
  }
  EXPECT_EQ(masked_layers(rm), 0);
  EXPECT_THROW(
      {
        SelectedSubnet selected(rm, rm.uniform(0.5));
        EXPECT_EQ(masked_layers(rm), layers);
        throw Error("decoding failed half way");
      },
      Error);
  EXPECT_EQ(masked_layers(rm), 0);
  // A dense run cannot select a sparse sub-network: the guard throws and leaves no mask behind.
  rm.ranks.reset();
  EXPECT_THROW(SelectedSubnet(rm, rm.uniform(0.5)), InvalidArgument);
  EXPECT_EQ(masked_layers(rm), 0);
}

}  // namespace
}  // namespace omnisparse
