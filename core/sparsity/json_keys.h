// Module-private helper for config structs' from_json: an unknown key is a ConfigError that
// names it and the keys that are allowed.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>

#include "core/common/error.h"

namespace omnisparse::detail {

inline void check_keys(const nlohmann::json& j, const std::string& what,
                       std::initializer_list<const char*> allowed) {
  if (!j.is_object()) throw ConfigError(what + ": expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    std::string list;
    for (const char* a : allowed) {
      ok = ok || key == a;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    if (!ok) throw ConfigError(what + ": unknown key '" + key + "' (allowed: " + list + ")");
  }
}

// Reads j[key] into out when present; a value of the wrong type -> ConfigError naming the key.
template <typename T>
void read_key(const nlohmann::json& j, const std::string& what, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return;
  try {
    out = it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ConfigError(what + "." + key + ": wrong type (" + it->dump() + ")");
  }
}

}  // namespace omnisparse::detail
