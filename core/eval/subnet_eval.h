// One sub-network of a run, evaluated straight from the supernet (no retraining) into a row of
// results.h5: its identity (id, label, config), exact size (accounting.h) and WER/CER with
// S/D/I on a set, plus measured decoding speed. `omnisparse pareto`, the demo and the search
// all make their rows here.
//
//   RunModel rm = RunModel::Load("runs/omni");
//   SubnetResult r = evaluate_subnet(rm, rm.uniform(0.8), dev, "dev", "sweep", EvalOptions{});
//   store.add_or_update(r);
//
// Ids: SubnetConfig::id() for unstructured masks; other granularities append their name
// ("3f9c0a1b2d-block4x4"), because the same levels give a different sub-network there.
// Timing: rtf = batched decode wall time / audio duration; latency_ms is left NaN here: it is
// the streaming recognizer's compute time per 320 ms chunk, which `pareto` measures with the
// sparse kernels (ParetoJobConfig::stream_timing, core/stream/stream_timing.h) and which then
// also replaces rtf by the streaming RTF. Both depend on the machine and its load; they are
// measurements, not part of the identity.
#pragma once

#include <string>

#include "core/eval/evaluator.h"
#include "core/eval/run_model.h"
#include "core/io/results_store.h"
#include "core/sparsity/accounting.h"
#include "core/sparsity/granularity.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

// The granularity a run's masks use (unstructured for a run without ranks).
Granularity run_granularity(const RunModel& rm);

std::string subnet_id(const SubnetConfig& config, const Granularity& granularity);
// config.label(), with the granularity appended when it is not unstructured.
std::string subnet_label(const SubnetConfig& config, const Granularity& granularity);

// Exact size of `config` on this run's model. A run without ranks: only from shapes.
Accounting account_subnet(const RunModel& rm, const SubnetConfig& config);

// Identity and size, no evaluation (evals empty, rtf/latency NaN). InvalidArgument when the
// config does not name the model's layers in order.
SubnetResult describe_subnet(const RunModel& rm, const SubnetConfig& config,
                             const std::string& source);

// Selects `config` (masks), decodes `set` and fills evals[set_name] and rtf; the
// model is left with the dense net selected. Progress of the decode follows opts.progress.
SubnetResult evaluate_subnet(RunModel& rm, const SubnetConfig& config, const EvalSet& set,
                             const std::string& set_name, const std::string& source,
                             const EvalOptions& opts);

// The row results.h5 should hold after `fresh` was measured when `stored` was already there:
// `stored`'s other sets kept, `fresh`'s set, size and timing taken.
SubnetResult merge_subnet_result(const SubnetResult& stored, const SubnetResult& fresh);

}  // namespace omnisparse
