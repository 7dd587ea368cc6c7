#include "core/sparsity/granularity.h"

#include <cmath>
#include <regex>

#include "core/common/error.h"

namespace omnisparse {

Granularity Granularity::Block(int64_t rows, int64_t cols) {
  Granularity g;
  g.kind = Kind::kBlock;
  g.block_rows = rows;
  g.block_cols = cols;
  g.Validate();
  return g;
}

Granularity Granularity::NestedNM(int64_t m) {
  Granularity g;
  g.kind = Kind::kNestedNM;
  g.m = m;
  g.Validate();
  return g;
}

Granularity Granularity::Parse(const std::string& text) {
  static const std::regex block_re("block([0-9]{1,6})x([0-9]{1,6})");
  static const std::regex nm_re("nm([0-9]{1,6})");
  std::smatch match;
  if (text == "unstructured") return Unstructured();
  if (std::regex_match(text, match, block_re)) {
    return Block(std::stoll(match[1]), std::stoll(match[2]));
  }
  if (std::regex_match(text, match, nm_re)) return NestedNM(std::stoll(match[1]));
  throw ConfigError("granularity: unknown value '" + text +
                    "' (expected unstructured, blockRxC such as block4x4, or nmM such as nm4)");
}

std::string Granularity::ToString() const {
  switch (kind) {
    case Kind::kUnstructured:
      return "unstructured";
    case Kind::kBlock:
      return "block" + std::to_string(block_rows) + "x" + std::to_string(block_cols);
    case Kind::kNestedNM:
      return "nm" + std::to_string(m);
  }
  return "unstructured";
}

void Granularity::Validate() const {
  if (kind == Kind::kBlock && (block_rows < 1 || block_cols < 1)) {
    throw ConfigError("granularity: block size must be at least 1x1, got " +
                      std::to_string(block_rows) + "x" + std::to_string(block_cols));
  }
  if (kind == Kind::kNestedNM && m < 1) {
    throw ConfigError("granularity: N:M group size M must be >= 1, got " + std::to_string(m));
  }
}

bool Granularity::operator==(const Granularity& o) const {
  if (kind != o.kind) return false;
  if (kind == Kind::kBlock) return block_rows == o.block_rows && block_cols == o.block_cols;
  if (kind == Kind::kNestedNM) return m == o.m;
  return true;
}

void to_json(nlohmann::json& j, const Granularity& g) { j = g.ToString(); }

void from_json(const nlohmann::json& j, Granularity& g) {
  if (!j.is_string()) throw ConfigError("granularity: expected a string such as \"block4x4\"");
  g = Granularity::Parse(j.get<std::string>());
}

int64_t kept_units(int64_t n, double sparsity) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) {
    throw ConfigError("sparsity " + std::to_string(sparsity) + " is outside [0, 1)");
  }
  const double x = (1.0 - sparsity) * static_cast<double>(n);
  const double nearest = std::round(x);
  const int64_t k = std::abs(x - nearest) <= 1e-9 * std::max(1.0, x)
                        ? static_cast<int64_t>(nearest)
                        : static_cast<int64_t>(std::ceil(x));
  return std::min<int64_t>(std::max<int64_t>(k, 0), n);
}

}  // namespace omnisparse
