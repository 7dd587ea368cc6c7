// RUN/results.h5: every evaluated sub-network of a run (a table), the per-layer magnitude ranks
// the masks come from, and which rows form the Pareto front. Written by `omnisparse pareto` and
// the evaluator, read by the workbench and by scripts (h5py), possibly at the same moment.
//
//   ResultsStore s = ResultsStore::open_or_create(run.results_path(), fp, layer_names);
//   if (!s.has(id)) s.add_or_update(evaluate(config));   // cached by id: re-runs add, never redo
//   s.set_pareto(front_ids);
//   ResultsStore view = ResultsStore::open_read_only(path);  // GUI: any model, never writes
//
// Every mutating call rewrites the whole file to a temporary and renames it into place, so a
// reader (another process re-opening results.h5) sees the old or the new table, never a partial
// one. Ranks are copied between versions with H5Ocopy (no recompression). One writer per file.
//
// Layout (for h5py users; N rows, L layers):
//   /                 attrs format="omnisparse-results", version=1, fingerprint=<string>,
//                     training_cost=<JSON string, optional: the run's passes and wall time, and
//                     with its --init-from parent: passes, wall_s, parent_passes, total_passes,
//                     total_wall_s>
//   /layers           str[L]
//   /subnets/{id,source,label,config}                                   str[N]
//   /subnets/sparsity                                                   f32[N, L]
//   /subnets/{nnz,total_params,nonzero_params,bytes_dense,bytes_sparse} i64[N]
//   /subnets/{rtf,latency_ms}                                           f64[N] (NaN: not measured)
//   /subnets/pareto                                                     u8[N]
//   /subnets/eval/<set>/evaluated u8[N], {wer,cer} f64[N], {sub,del,ins,ref_words,num_utts} i64[N]
//   /ranks/<layer>    i32[shape of the weight], gzip, chunked ('/' in names escaped as %2F)
//
// Reading is hardened for files from elsewhere: links other than hard links, external storage
// and virtual datasets are refused, shapes and classes checked before reading, HDF5's error
// printing silenced; any failure is a FormatError naming the file. Not thread-safe per object.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omnisparse {

struct EvalMetrics {
  double wer = NAN, cer = NAN;  // fractions (0.12 = 12 %)
  int64_t sub = 0, del = 0, ins = 0, ref_words = 0, num_utts = 0;
};

struct SubnetResult {
  std::string id;           // stable short id of the config
  std::string source;       // "sweep", "evo", "gmp", "oneshot", "dense", ...
  std::string label;        // for people: "uniform 0.8", "evo g3 #12"
  std::string config_json;  // the sub-network config as JSON
  std::vector<float> sparsity;  // per layer, in the store's layer_names order
  int64_t nnz = 0;              // non-zero weights in the prunable layers
  int64_t total_params = 0;     // all model parameters
  int64_t nonzero_params = 0;   // all model parameters that are non-zero (nnz + unpruned)
  int64_t bytes_dense = 0;      // fp32 dense export
  int64_t bytes_sparse = 0;     // sparse export (values + indices)
  std::map<std::string, EvalMetrics> evals;  // "dev", "test", ...
  double rtf = NAN, latency_ms = NAN;         // NaN when not measured; latency_ms: compute
                                              // time per 320 ms streaming chunk
  bool pareto = false;
};

class ResultsStore {
 public:
  // Opens an existing store (FormatError if it belongs to another model: fingerprint or layer
  // names differ) or creates an empty one on disk.
  static ResultsStore open_or_create(const std::filesystem::path& path, const std::string& fingerprint,
                                     const std::vector<std::string>& layer_names);
  // Any model's store, for viewing; mutating calls throw InvalidArgument.
  static ResultsStore open_read_only(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::string& fingerprint() const { return fingerprint_; }
  const std::vector<std::string>& layer_names() const { return layers_; }

  bool has(const std::string& id) const;
  std::optional<SubnetResult> get(const std::string& id) const;
  const std::vector<SubnetResult>& all() const { return rows_; }

  // Insert, or replace the row with the same id; then save. InvalidArgument when `sparsity`
  // does not have one level per layer, the id is empty, or an eval set name is unusable.
  void add_or_update(const SubnetResult& r);
  void add_or_update(const std::vector<SubnetResult>& rs);  // one save for the batch
  // Marks exactly `ids` as the front (InvalidArgument for an unknown id); then saves.
  void set_pareto(const std::vector<std::string>& ids);

  // Replaces all stored ranks (name -> integer tensor, stored int32); names must be layers.
  void save_ranks(const std::map<std::string, at::Tensor>& ranks);
  std::vector<std::string> rank_names() const { return rank_names_; }
  // Read from the file on demand. FormatError if absent or malformed.
  at::Tensor load_ranks(const std::string& layer) const;
  std::map<std::string, at::Tensor> load_ranks() const;

  void save();  // rewrites the file atomically from memory

  // What training the run cost (JSON text, see the layout above); empty when never set.
  const std::string& training_cost() const { return training_cost_; }
  void set_training_cost(const std::string& json);  // then saves

 private:
  ResultsStore() = default;
  void load();
  void write(const std::map<std::string, at::Tensor>* new_ranks);
  void require_writable() const;

  std::filesystem::path path_;
  std::string fingerprint_;
  std::vector<std::string> layers_;
  std::vector<SubnetResult> rows_;
  std::vector<std::string> rank_names_;
  std::string training_cost_;
  bool read_only_ = false;
};

// A fingerprint of a model's prunable layers (names and shapes): SHA-256 hex of
// "name:d0xd1;..." in the given order. Two models with the same layers share it.
std::string layers_fingerprint(const std::vector<std::pair<std::string, std::vector<int64_t>>>& layers);

}  // namespace omnisparse
