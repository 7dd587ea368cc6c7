// Exporting a chosen sub-network of a run as a self-contained model file, and loading it back
// as a ModelBundle that decodes exactly like the masked supernet (DESIGN.md section 7).
//
//   RunModel rm = RunModel::Load("runs/omni");
//   ExportReport r = export_model(rm, rm.uniform(0.8), "runs/omni/exports/s0.80.safetensors");
//   r.file_bytes;  r.accounting.bytes_stored;  r.accounting.bytes_dense;
//   LoadedExport e = load_export("runs/omni/exports/s0.80.safetensors");   // or .h5
//   e.bundle;  e.config;   // pruned weights are exact zeros, no masks needed
//
// The file format is core/io/model_export.h (safetensors) or core/io/h5_model_export.h (by the
// extension: .h5/.hdf5 -> HDF5, anything else -> safetensors). Layers are stored sparse exactly
// when core/sparsity/accounting.h says so, so the data section of a safetensors export is
// `accounting.bytes_stored` bytes. Loading validates everything before allocating the model
// (FormatError naming the file); pickle and TorchScript files are refused.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/eval/model_bundle.h"
#include "core/eval/run_model.h"
#include "core/io/model_import.h"
#include "core/sparsity/accounting.h"

namespace omnisparse {

// Metadata keys written next to ModelBundle::metadata() (JSON or plain strings).
inline constexpr const char* kSubnetKey = "omnisparse.subnet";          // {layer: level}
inline constexpr const char* kSubnetIdKey = "omnisparse.subnet_id";
inline constexpr const char* kSubnetLabelKey = "omnisparse.subnet_label";
inline constexpr const char* kGranularityKey = "omnisparse.granularity";
inline constexpr const char* kSourceRunKey = "omnisparse.source_run";
inline constexpr const char* kSourceStepKey = "omnisparse.source_step";

struct ExportReport {
  std::filesystem::path path;
  std::string format;       // "safetensors" | "hdf5"
  std::string subnet_id;
  Accounting accounting;    // bytes_dense (all fp32) vs bytes_stored (as written)
  int64_t file_bytes = 0;   // the file on disk (header/HDF5 structure included)
  nlohmann::json to_json() const;
};

// What export_model would write for `config`, without selecting or writing anything: the exact
// accounting (non-zero parameters, dense fp32 bytes, bytes of the tensors as stored). Used by the
// workbench's export dialog for its size preview (`omnisparse export --dry-run`).
Accounting export_accounting(const RunModel& rm, const SubnetConfig& config);

// Selects `config` in `rm` (its masks stay selected afterwards) and writes the file plus its
// SHA-256 manifest; the format follows the extension (.safetensors, .h5/.hdf5). InvalidArgument
// for any other extension (before anything is written) and for a sparse config on a run
// without ranks.
ExportReport export_model(RunModel& rm, const SubnetConfig& config,
                          const std::filesystem::path& out);

struct LoadedExport {
  ModelBundle bundle;                   // eval() mode, on CPU, no masks
  std::optional<SubnetConfig> config;   // the exported sub-network
  std::string subnet_id, subnet_label, source_run;
  int64_t nonzero_params = 0;           // kept prunable weights + non-prunable parameters
  std::map<std::string, std::string> metadata;
};

LoadedExport load_export(const std::filesystem::path& path, const ImportLimits& limits = {});
ModelBundle load_exported_model(const std::filesystem::path& path);

// An upper bound of the parameter count a config builds (exact for this Transducer), computed
// without allocating: a forged config must not make the loader allocate terabytes.
int64_t config_param_count(const TransducerConfig& c);

}  // namespace omnisparse
