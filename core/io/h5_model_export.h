// The exported model (model_export.h) in HDF5, for users who live in h5py: the same tensors
// and metadata as the safetensors file, in groups.
//
//   /metadata                 string attributes, one per metadata key (model config, tokenizer,
//                             sub-network, storage map, format name and version, ...)
//   /model/<name>             F32 dataset, a dense parameter ("model.<name>" in safetensors)
//   /model/<name>/            group with attribute format = "csr" | "bsr" and datasets
//       values, col_idx, row_ptr   exactly the safetensors parts (F32, I32, I32)
//
//   write_model_h5("m.h5", payload);          // temp + rename, then m.h5.sha256.json
//   StoredModel m = read_model_h5("m.h5");    // validated and densified like the safetensors
//
// Reading goes through h5::open_untrusted (soft/external links, external storage and virtual
// datasets refused), accepts only F32/I32 datasets stored contiguously with exactly their bytes
// (no fill-value "bombs"), and then runs the same checks as model_import.h.
#pragma once

#include <filesystem>

#include "core/io/model_export.h"
#include "core/io/model_import.h"

namespace omnisparse {

void write_model_h5(const std::filesystem::path& path, const ModelPayload& payload);

StoredModel read_model_h5(const std::filesystem::path& path, const ImportLimits& limits = {},
                          bool require_manifest = false);

}  // namespace omnisparse
