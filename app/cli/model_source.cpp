#include "app/cli/model_source.h"

#include <fmt/format.h>

#include "core/common/error.h"
#include "core/eval/model_file.h"
#include "core/io/results_store.h"
#include "core/io/run_dir.h"
#include "core/sparsity/accounting.h"

namespace omnisparse::cli {

void add_model_source_options(CLI::App* cmd, ModelSourceArgs& a) {
  auto* run = cmd->add_option("--run", a.run, "Run directory (its newest checkpoint)");
  cmd->add_option("--sparsity", a.sparsity, "Uniform sparsity of the sub-network (default 0 = dense)")
      ->needs(run);
  cmd->add_option("--subnet", a.subnet, "Sub-network id from the run's results.h5")->needs(run);
  cmd->add_flag("--oneshot", a.oneshot,
                "Dense run: prune one-shot by magnitude to --sparsity (no retraining)")
      ->needs(run);
  cmd->add_option("--model", a.model, "An exported model (.safetensors or .h5) instead of --run")
      ->excludes(run);
}

// `--model FILE`: an export (validated on load; pruned weights are exact zeros, no masks).
LoadedModel load_export_file(const ModelSourceArgs& a, LoadedModel m) {
  LoadedExport e = load_export(a.model);
  m.owned_ = std::make_shared<ModelBundle>(std::move(e.bundle));
  m.bundle_ = m.owned_.get();
  m.config_ = e.config;
  m.nnz_ = e.nonzero_params;
  const std::string label = e.config ? e.config->label() : e.subnet_label;
  m.tag_ = !e.config || e.config->is_dense() ? "dense"
           : e.config->is_uniform()          ? fmt::format("s{:.2f}", e.config->levels[0])
                                             : e.subnet_id;
  m.description_ = fmt::format("{} (export of {}), sub-network {} [{}], {} non-zero parameters",
                               a.model, e.source_run.empty() ? "?" : e.source_run, e.subnet_id,
                               label, m.nnz_);
  m.out_dir_ = std::filesystem::path(a.model).parent_path();
  if (m.out_dir_.empty()) m.out_dir_ = ".";
  return m;
}

LoadedModel load_model(const ModelSourceArgs& a) {
  LoadedModel m;
  if (!a.model.empty()) {
    if (!a.run.empty()) throw InvalidArgument("give either --run or --model, not both");
    return load_export_file(a, std::move(m));
  }
  if (a.run.empty()) throw InvalidArgument("give --run RUN (and optionally --sparsity or --subnet) or --model FILE");
  if (a.sparsity >= 0 && !a.subnet.empty())
    throw InvalidArgument("give either --sparsity or --subnet, not both");
  if (a.sparsity >= 1) throw InvalidArgument("--sparsity must lie in [0, 1)");
  m.run_ = std::make_shared<RunModel>(RunModel::Load(a.run, a.oneshot));
  m.bundle_ = &m.run_->bundle;
  SubnetConfig cfg = m.run_->uniform(std::max(0.0, a.sparsity));
  if (!a.subnet.empty()) {
    RunDir dir = RunDir::open(a.run);
    auto store = ResultsStore::open_read_only(dir.results_path());
    auto r = store.get(a.subnet);
    if (!r) throw InvalidArgument(fmt::format("{}: no sub-network with id '{}'", dir.results_path().string(), a.subnet));
    cfg = SubnetConfig::FromJson(nlohmann::json::parse(r->config_json), names_of(m.run_->specs));
  }
  m.run_->select(cfg);
  Accounting acc = m.run_->ranks
                       ? account(cfg, *m.run_->ranks, m.run_->non_prunable_params())
                       : account(cfg, m.run_->specs, Granularity{}, m.run_->non_prunable_params());
  m.nnz_ = acc.nnz_total;
  m.tag_ = cfg.is_dense() ? "dense" : (cfg.is_uniform() ? fmt::format("s{:.2f}", cfg.levels[0]) : cfg.id());
  m.description_ = fmt::format("{} ({} run, step {}), sub-network {} [{}], {} non-zero parameters",
                               a.run, m.run_->mode, m.run_->step, cfg.id(), cfg.label(), m.nnz_);
  m.out_dir_ = a.run;
  m.config_ = cfg;
  return m;
}

}  // namespace omnisparse::cli
