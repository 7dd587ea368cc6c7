// Reading config structs from JSON with the project's rules: missing keys keep their defaults,
// unknown keys (listing the allowed ones) and wrong types throw ConfigError naming
// `<section>.<key>`. Every config struct read from JSON uses it (audio front end, training,
// batching, sparsity schedules and member sampling, search, endpointing, synthesis); the model
// config's field table (transducer_config.cpp) applies the same rules.
//
//   JsonFields f(j, "spec_augment");
//   f.get("num_freq_masks", cfg.num_freq_masks);
//   f.finish();  // throws for any key that no get() asked for
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "core/common/error.h"

namespace omnisparse {

class JsonFields {
 public:
  JsonFields(const nlohmann::json& j, std::string section) : j_(j), section_(std::move(section)) {
    if (!j_.is_object()) throw ConfigError(section_ + ": expected a JSON object");
  }

  template <class T>
  void get(const std::string& key, T& value) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) return;
    const bool ok = [&] {
      if constexpr (std::is_same_v<T, bool>) return it->is_boolean();
      else if constexpr (std::is_integral_v<T>) return it->is_number_integer();
      else if constexpr (std::is_floating_point_v<T>) return it->is_number();
      else return true;
    }();
    if (!ok) throw ConfigError(section_ + "." + key + ": wrong type (" + it->dump() + ")");
    try {
      value = it->get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw ConfigError(section_ + "." + key + ": " + e.what());
    }
  }

  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (seen_.count(it.key())) continue;
      std::string allowed;
      for (const std::string& k : seen_) allowed += (allowed.empty() ? "" : ", ") + k;
      throw ConfigError(section_ + "." + it.key() + ": unknown key (allowed: " + allowed + ")");
    }
  }

 private:
  const nlohmann::json& j_;
  std::string section_;
  std::set<std::string> seen_;
};

}  // namespace omnisparse
