// A small model payload for the export format tests: one CSR matrix, one BSR matrix with
// partial edge tiles, one prunable matrix kept dense, and two non-prunable tensors.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "core/common/error.h"
#include "core/io/model_export.h"

namespace omnisparse::test {

inline ModelPayload small_payload(uint64_t seed = 7) {
  at::manual_seed(seed);
  ModelPayload p;
  const at::Tensor a = at::randn({6, 5});
  const at::Tensor b = at::randn({10, 7});  // 4x4 tiles: 3x2, edges partial
  const at::Tensor c = at::randn({3, 4});
  p.tensors = {{"model.a", a}, {"model.a_bias", at::randn({6})}, {"model.b", b},
               {"model.c", c}, {"model.embed", at::randn({4, 3})}};
  LayerStorage la{"model.a", "enc.a", StorageKind::kCsr, a.abs().gt(0.8), 0.6};
  // Keep tiles (0,0), (1,1), (2,0), (2,1): whole 4x4 tiles cut at the matrix edges.
  at::Tensor tiles = at::tensor({1, 0, 0, 1, 1, 1}).to(at::kBool).view({3, 2});
  at::Tensor mb = tiles.repeat_interleave(4, 0).repeat_interleave(4, 1).narrow(0, 0, 10).narrow(1, 0, 7);
  LayerStorage lb{"model.b", "enc.b", StorageKind::kBsr, mb.contiguous(), 1.0 / 3.0, 4, 4};
  LayerStorage lc{"model.c", "joiner.c", StorageKind::kDense, c.abs().gt(0.3), 0.3};
  p.layers = {la, lb, lc};
  p.metadata = {{"note", "unit test"}};
  return p;
}

// The message of the FormatError `f()` throws; "" when it throws none (other errors propagate).
template <class F>
std::string format_error(F&& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace omnisparse::test
