// The exported-model format ("omnisparse-model", version 1), independent of where the weights
// come from: named dense tensors + string metadata + one storage decision per prunable matrix.
// The sub-network's pruned matrices are stored sparse, so that the file really shrinks:
//
//   <param>                    F32 [rows, cols]        dense (non-prunable, or sparse not smaller)
//   <param>.csr_values         F32 [nnz]               kept weights, row-major order
//   <param>.csr_col_idx        I32 [nnz]               their columns
//   <param>.csr_row_ptr        I32 [rows + 1]          row r holds [row_ptr[r], row_ptr[r+1])
//   <param>.bsr_values         F32 [T, R, C]           kept RxC tiles (edge tiles zero-padded)
//   <param>.bsr_col_idx        I32 [T]                 their tile columns
//   <param>.bsr_row_ptr        I32 [ceil(rows/R) + 1]  tile row r holds [row_ptr[r], row_ptr[r+1])
//
// exactly the byte formulas of core/sparsity/accounting.h, so `account(...).bytes_stored` is the
// size of the data section. Metadata keys added here: "omnisparse.format" ("omnisparse-model"),
// "omnisparse.format_version" ("1") and "omnisparse.storage", a JSON map
//   {"<param>": {"layer": "encoder.lstm0.w_ih", "format": "dense"|"csr"|"bsr",
//                "shape": [rows, cols], "nnz": kept, "level": 0.8, "block": [R, C] (bsr)}}.
//
//   ModelPayload p{bundle.weights(), bundle.metadata(), layers};   // layers: masks + decisions
//   write_model_safetensors("m.safetensors", p);                    // + m.safetensors.sha256.json
//   StoredModel s = read_model_safetensors("m.safetensors");        // validated, densified
//
// The bundle-level glue (a run's sub-network -> file -> ModelBundle) is core/eval/model_file.h;
// the HDF5 container of the same content is h5_model_export.h; reading is model_import.h.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/io/safetensors.h"

namespace omnisparse {

inline constexpr const char* kModelFormatName = "omnisparse-model";
inline constexpr int kModelFormatVersion = 1;
inline constexpr const char* kFormatKey = "omnisparse.format";
inline constexpr const char* kFormatVersionKey = "omnisparse.format_version";
inline constexpr const char* kStorageKey = "omnisparse.storage";

enum class StorageKind { kDense, kCsr, kBsr };
std::string to_string(StorageKind k);  // "dense" | "csr" | "bsr"

// One prunable matrix of the exported sub-network.
struct LayerStorage {
  std::string param;   // tensor name, "model.encoder.weight_ih_l0"
  std::string layer;   // prunable layer name, "encoder.lstm0.w_ih"
  StorageKind kind = StorageKind::kDense;
  at::Tensor mask;     // [rows, cols], non-zero = kept; undefined = all kept
  double level = 0.0;  // the sub-network's sparsity for this layer (informational)
  int64_t block_rows = 1, block_cols = 1;  // kBsr tile size
};

struct ModelPayload {
  NamedTensors tensors;  // every parameter, dense, unmasked ("model.<name>")
  std::map<std::string, std::string> metadata;
  std::vector<LayerStorage> layers;
};

// The tensors as they go into a file (masked, packed) plus the metadata with the format keys
// and the storage map. InvalidArgument for a layer naming no tensor, a non-2-D or non-F32
// matrix, a mask of another shape, or a BSR mask that is not whole tiles.
struct PackedModel {
  NamedTensors tensors;
  std::map<std::string, std::string> metadata;
};
PackedModel pack_model(const ModelPayload& payload);

// CSR / BSR parts of one masked matrix w [rows, cols] (kept = mask != 0).
struct SparseParts {
  at::Tensor values;   // F32 [nnz] (CSR) or [T, R, C] (BSR)
  at::Tensor col_idx;  // I32 [nnz] or [T]
  at::Tensor row_ptr;  // I32 [rows + 1] or [tile_rows + 1]
};
SparseParts pack_csr(const at::Tensor& w, const at::Tensor& mask);
SparseParts pack_bsr(const at::Tensor& w, const at::Tensor& mask, int64_t block_rows,
                     int64_t block_cols);

// Writes pack_model(payload) as safetensors (atomically) and its SHA-256 manifest.
void write_model_safetensors(const std::filesystem::path& path, const ModelPayload& payload);

}  // namespace omnisparse
