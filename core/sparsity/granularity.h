// The unit a sparsity mask keeps or drops.
//
//   unstructured   single weights, scored by |w|                      (the paper's)
//   block RxC      RxC tiles of the [out, in] matrix, scored by L2 norm (e.g. 1x4, 4x4);
//                  edge tiles of non-divisible shapes are partial
//   nested N:M     groups of M consecutive weights along the input dimension (a row); the mask
//                  at sparsity s keeps the top N = ceil((1-s)*M) of every group, so M=4 has the
//                  effective levels 0, .25, .5, .75 and the masks stay nested
//
// Text form (CLI, JSON, results.h5): "unstructured", "block1x4", "block4x4", "nm4".
//   auto g = Granularity::Parse("block4x4");   // throws ConfigError on anything else
//   g.ToString() == "block4x4";
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace omnisparse {

struct Granularity {
  enum class Kind { kUnstructured, kBlock, kNestedNM };

  Kind kind = Kind::kUnstructured;
  int64_t block_rows = 1;  // kBlock: tile height (along out)
  int64_t block_cols = 1;  // kBlock: tile width (along in)
  int64_t m = 1;           // kNestedNM: group size along in

  static Granularity Unstructured() { return {}; }
  static Granularity Block(int64_t rows, int64_t cols);
  static Granularity NestedNM(int64_t m);

  // Throws ConfigError naming the text when it is not one of the forms above.
  static Granularity Parse(const std::string& text);
  std::string ToString() const;
  // Sizes >= 1 (block 1x1 is allowed and behaves like unstructured); throws ConfigError.
  void Validate() const;

  bool operator==(const Granularity& o) const;
  bool operator!=(const Granularity& o) const { return !(*this == o); }
};

// JSON is the text form: "block4x4".
void to_json(nlohmann::json& j, const Granularity& g);
void from_json(const nlohmann::json& j, Granularity& g);

// The number of units the mask at sparsity s keeps out of n: ceil((1-s)*n), where a product
// within 1e-9 of an integer counts as that integer, so that float noise in (1-0.7)*10 =
// 3.0000000000000004 keeps 3, not 4. Every part of omnisparse (masks, accounting, export)
// counts with this function. s in [0, 1); n >= 0.
int64_t kept_units(int64_t n, double sparsity);

}  // namespace omnisparse
