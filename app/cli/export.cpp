// omnisparse export: write a run's sub-network as a self-contained model file (safetensors or
// HDF5 by the extension, plus a SHA-256 manifest) that `transcribe --model` and `eval --model`
// load, or with --format sherpa-onnx as a directory that sherpa-onnx's streaming recognizer
// runs as it is (core/onnx/sherpa_export.h). Prints dense vs exported bytes.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/model_source.h"
#include "core/common/error.h"
#include "core/eval/model_file.h"
#include "core/io/file_manifest.h"
#include "core/io/run_dir.h"
#include "core/onnx/sherpa_export.h"

namespace omnisparse::cli {

namespace {

struct ExportArgs {
  ModelSourceArgs model;
  std::string out;
  std::string format = "file";
  SherpaExportOptions sherpa;
  bool dry_run = false;
};

void run_sherpa_export(const ExportArgs& a, LoadedModel& m) {
  if (!m.run_model()) throw InvalidArgument("export --format sherpa-onnx: give --run RUN");
  std::filesystem::path out = a.out;
  if (out.empty()) out = RunDir::open(a.model.run).exports_dir() / (m.tag() + "-sherpa-onnx");
  SherpaExportReport r = export_sherpa_onnx(*m.run_model(), *m.config(), out, a.sherpa);
  if (globals().json) {
    nlohmann::json j = r.to_json();
    j["subnet_label"] = m.config()->label();
    j["run"] = a.model.run;
    j["feature_differences"] = r.feature_differences;
    std::cout << j.dump() << "\n";
    return;
  }
  const Accounting& acc = r.accounting;
  std::cout << fmt::format(
      "exported {} (sherpa-onnx streaming LSTM transducer{})\n  sub-network {} [{}]: {} of {} "
      "parameters non-zero ({:.1f} % sparse)\n",
      out.string(), a.sherpa.int8 ? ", int8 matrices" : "", r.subnet_id, m.config()->label(),
      acc.nnz_total, acc.total_params, 100.0 * acc.sparsity());
  for (const auto& [name, bytes] : r.file_bytes) {
    std::cout << fmt::format("  {:<13} {:>10} bytes  sha256 {}\n", name, bytes, r.sha256.at(name));
  }
  for (const auto& d : r.feature_differences) std::cout << "  note: fbank " << d << "\n";
}

// --dry-run: the size the export would have, nothing written (the workbench's preview).
void print_preview(const LoadedModel& m, const Accounting& acc) {
  if (globals().json) {
    std::cout << nlohmann::json{{"dry_run", true},
                                {"subnet_id", m.config()->id()},
                                {"subnet_label", m.config()->label()},
                                {"params", acc.total_params},
                                {"nnz", acc.nnz_total},
                                {"bytes_dense", acc.bytes_dense},
                                {"bytes_stored", acc.bytes_stored}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << fmt::format(
      "sub-network {} [{}]: {} of {} parameters non-zero ({:.1f} % sparse)\n"
      "  dense fp32 {} bytes -> stored tensors {} bytes ({:.3f} of dense); nothing written\n",
      m.config()->id(), m.config()->label(), acc.nnz_total, acc.total_params,
      100.0 * acc.sparsity(), acc.bytes_dense, acc.bytes_stored,
      static_cast<double>(acc.bytes_stored) / static_cast<double>(acc.bytes_dense));
}

void run_export(const ExportArgs& a) {
  LoadedModel m = load_model(a.model);
  if (a.format == "sherpa-onnx" && !a.dry_run) return run_sherpa_export(a, m);
  if (a.dry_run) return print_preview(m, export_accounting(*m.run_model(), *m.config()));
  std::filesystem::path out = a.out;
  if (out.empty()) out = RunDir::open(a.model.run).exports_dir() / (m.tag() + ".safetensors");
  if (!out.parent_path().empty()) std::filesystem::create_directories(out.parent_path());
  ExportReport r = export_model(*m.run_model(), *m.config(), out);
  const FileManifest mf = read_manifest(manifest_path(out));
  const Accounting& acc = r.accounting;
  if (globals().json) {
    nlohmann::json j = r.to_json();
    j["sha256"] = mf.sha256;
    j["subnet_label"] = m.config()->label();
    j["run"] = a.model.run;
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << fmt::format(
      "exported {} ({})\n  sub-network {} [{}]: {} of {} parameters non-zero ({:.1f} % sparse)\n"
      "  dense fp32 {} bytes -> file {} bytes ({:.3f} of dense; tensors {} bytes)\n  sha256 {}\n",
      out.string(), r.format, r.subnet_id, m.config()->label(), acc.nnz_total, acc.total_params,
      100.0 * acc.sparsity(), acc.bytes_dense, r.file_bytes,
      static_cast<double>(r.file_bytes) / static_cast<double>(acc.bytes_dense), acc.bytes_stored,
      mf.sha256);
}

}  // namespace

static void export_command(CLI::App& root) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* c = root.add_subcommand("export", "Write a run's sub-network as a model file (sparse layers)");
  auto* run = c->add_option("--run", a->model.run, "Run directory (its newest checkpoint)")->required();
  c->add_option("--sparsity", a->model.sparsity, "Uniform sparsity of the sub-network (default 0 = dense)")
      ->needs(run);
  c->add_option("--subnet", a->model.subnet, "Sub-network id from the run's results.h5")->needs(run);
  c->add_flag("--oneshot", a->model.oneshot,
              "Dense run: prune one-shot by magnitude to --sparsity (no retraining)");
  c->add_option("--out", a->out,
                "Output file: .safetensors, or .h5/.hdf5 for HDF5 (default RUN/exports/<tag>.safetensors)");
  c->add_flag("--dry-run", a->dry_run, "Print the sizes the export would have; write nothing");
  c->add_option("--format", a->format,
                "file (default: one model file) or sherpa-onnx (a directory: encoder/decoder/"
                "joiner.onnx, tokens.txt, model.json; needs a stateless predictor)")
      ->check(CLI::IsMember({"file", "sherpa-onnx"}));
  c->add_option("--chunk", a->sherpa.chunk_frames,
                "sherpa-onnx: feature frames per encoder call (default 32 = 320 ms)");
  c->add_option("--symbols-per-frame", a->sherpa.symbols_per_frame,
                "sherpa-onnx: symbols one encoder frame may emit, as our greedy search (default 3)");
  c->add_flag("--int8", a->sherpa.int8, "sherpa-onnx: store the matrices as int8 (per tensor)");
  c->add_flag("--force", a->sherpa.force, "sherpa-onnx: replace an existing non-empty directory");
  c->callback([a] { run_export(*a); });
}
OMNISPARSE_COMMAND(70, export_command);

}  // namespace omnisparse::cli
