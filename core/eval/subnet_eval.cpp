#include "core/eval/subnet_eval.h"

#include "core/common/error.h"

namespace omnisparse {

Granularity run_granularity(const RunModel& rm) {
  return rm.ranks ? rm.ranks->granularity() : Granularity::Unstructured();
}

std::string subnet_id(const SubnetConfig& config, const Granularity& granularity) {
  if (granularity.kind == Granularity::Kind::kUnstructured) return config.id();
  return config.id() + "-" + granularity.ToString();
}

std::string subnet_label(const SubnetConfig& config, const Granularity& granularity) {
  if (granularity.kind == Granularity::Kind::kUnstructured) return config.label();
  return config.label() + " " + granularity.ToString();
}

Accounting account_subnet(const RunModel& rm, const SubnetConfig& config) {
  if (rm.ranks) return account(config, *rm.ranks, rm.non_prunable_params());
  return account(config, rm.specs, Granularity::Unstructured(), rm.non_prunable_params());
}

SubnetResult describe_subnet(const RunModel& rm, const SubnetConfig& config,
                             const std::string& source) {
  config.Validate();
  if (config.names != names_of(rm.specs))
    throw InvalidArgument("sub-network config does not name the model's " +
                          std::to_string(rm.specs.size()) + " prunable layers in order");
  const Granularity g = run_granularity(rm);
  const Accounting a = account_subnet(rm, config);
  SubnetResult r;
  r.id = subnet_id(config, g);
  r.source = source;
  r.label = subnet_label(config, g);
  r.config_json = config.to_json().dump();
  r.sparsity.assign(config.levels.begin(), config.levels.end());
  r.nnz = a.nnz_prunable;
  r.nonzero_params = a.nnz_total;
  r.total_params = a.total_params;
  r.bytes_dense = a.bytes_dense;
  r.bytes_sparse = a.bytes_stored;
  return r;
}

SubnetResult evaluate_subnet(RunModel& rm, const SubnetConfig& config, const EvalSet& set,
                             const std::string& set_name, const std::string& source,
                             const EvalOptions& opts) {
  SubnetResult r = describe_subnet(rm, config, source);
  EvalReport rep;
  {
    SelectedSubnet selected(rm, config);
    rep = evaluate(rm.bundle, set, opts);
  }
  EvalMetrics m;
  const ErrorCounts& w = rep.score.words;
  m.wer = w.rate();
  m.cer = rep.score.chars.rate();
  m.sub = w.sub;
  m.del = w.del;
  m.ins = w.ins;
  m.ref_words = w.ref;
  m.num_utts = rep.num_utts;
  r.evals[set_name] = m;
  r.rtf = rep.rtf;
  return r;
}

SubnetResult merge_subnet_result(const SubnetResult& stored, const SubnetResult& fresh) {
  SubnetResult r = fresh;
  for (const auto& [set, m] : stored.evals)
    if (!r.evals.count(set)) r.evals[set] = m;
  if (std::isnan(r.rtf)) r.rtf = stored.rtf;
  if (std::isnan(r.latency_ms)) r.latency_ms = stored.latency_ms;
  // A sweep row found again by the search stays a sweep row (its first source wins).
  if (!stored.source.empty()) {
    r.source = stored.source;
    r.label = stored.label;
  }
  r.pareto = stored.pareto;
  return r;
}

}  // namespace omnisparse
