// Reading an exported model (model_export.h) back into dense tensors, for files we did not
// write: everything is validated before the dense matrices are allocated, and every failure is
// a FormatError naming the file and the cause.
//
//   StoredModel m = read_model_safetensors("m.safetensors");  // or read_model_h5 (h5_model_export.h)
//   m.tensors;   // "model.<param>" -> dense F32, pruned weights exactly 0
//   m.metadata;  // the __metadata__ strings (model config, tokenizer, sub-network, ...)
//
// Checks, in order: the container (safetensors reader: header cap, dtype whitelist, spans,
// offsets, finite values, SHA-256 manifest when present), the format name and version, the
// storage map (JSON, known formats, shapes), that every stored tensor belongs to exactly one
// parameter and every parameter is stored exactly once, the densified size against
// ImportLimits, and the sparse invariants: dtypes (F32 values, I32 indices), part shapes
// consistent with the declared shape, row_ptr [rows+1] monotone from 0 to nnz, column indices in
// [0, cols) with no column twice in a row. Pickle and TorchScript files are never opened.
#pragma once

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "core/io/model_export.h"
#include "core/io/safetensors.h"

namespace omnisparse {

struct ImportLimits {
  // Parameters after densifying (sparse layers declare their dense shape; a forged shape must
  // not make us allocate terabytes). 2^28 floats = 1 GiB, far above the paper-scale model.
  int64_t max_params = int64_t{1} << 28;
};

struct StoredModel {
  std::filesystem::path path;
  NamedTensors tensors;  // dense, in the order of the stored tensors' parameters
  std::map<std::string, std::string> metadata;
  nlohmann::json storage;  // the storage map (model_export.h)
  int64_t nnz_prunable = 0;  // kept weights over the storage map's layers
};

// Validates `stored` (tensors of the file, sparse parts included) + `metadata` and densifies.
StoredModel unpack_model(const NamedTensors& stored, const std::map<std::string, std::string>& metadata,
                         const std::filesystem::path& path, const ImportLimits& limits = {});

StoredModel read_model_safetensors(const std::filesystem::path& path, const ReadLimits& read = {},
                                   const ImportLimits& limits = {});

// FormatError (naming `path` and `what`) unless the parts form a valid CSR [rows, cols] / BSR
// matrix with RxC tiles. Reads indices only; allocates nothing proportional to rows*cols.
void check_csr(const SparseParts& p, int64_t rows, int64_t cols, const std::filesystem::path& path,
               const std::string& what);
void check_bsr(const SparseParts& p, int64_t rows, int64_t cols, int64_t R, int64_t C,
               const std::filesystem::path& path, const std::string& what);

// Refuses pickle / zip (TorchScript, torch.save) files by their first bytes: FormatError.
void refuse_executable_formats(const std::filesystem::path& path);

}  // namespace omnisparse
