// The model a CLI command works on: a run directory's model at a chosen sub-network
// (`--run RUN [--sparsity S | --subnet ID] [--oneshot]`), or an exported model file
// (`--model FILE`, core/eval/model_file.h). Shared by eval, transcribe, export.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "core/eval/model_bundle.h"
#include "core/eval/run_model.h"

namespace omnisparse::cli {

struct ModelSourceArgs {
  std::string run;
  std::string model;          // an exported model file
  double sparsity = -1;       // uniform sparsity of a run's sub-network
  std::string subnet;         // a sub-network id from the run's results.h5
  bool oneshot = false;       // dense run: one-shot magnitude pruning to --sparsity
  std::string device = "cpu";
};

void add_model_source_options(CLI::App* cmd, ModelSourceArgs& a);

class LoadedModel {
 public:
  ModelBundle& bundle() { return *bundle_; }
  const SubnetConfig* config() const { return config_ ? &*config_ : nullptr; }
  std::string description() const { return description_; }
  std::string tag() const { return tag_; }  // short, for file names: "dense", "s0.80", "<id>"
  std::filesystem::path default_output_dir() const { return out_dir_; }
  int64_t nonzero_params() const { return nnz_; }
  std::shared_ptr<RunModel> run_model() const { return run_; }

 private:
  friend LoadedModel load_model(const ModelSourceArgs& a);
  friend LoadedModel load_export_file(const ModelSourceArgs& a, LoadedModel m);
  std::shared_ptr<RunModel> run_;
  std::shared_ptr<ModelBundle> owned_;
  ModelBundle* bundle_ = nullptr;
  std::optional<SubnetConfig> config_;
  std::string description_, tag_;
  std::filesystem::path out_dir_;
  int64_t nnz_ = 0;
};

LoadedModel load_model(const ModelSourceArgs& a);

}  // namespace omnisparse::cli
