#include "core/io/run_cost.h"

#include <fmt/format.h>

#include "core/io/event_log.h"

namespace omnisparse {

nlohmann::json parent_info_of_run(const nlohmann::json& run_json) {
  const auto it = run_json.find("parent");
  return it != run_json.end() && it->is_object() ? *it : nlohmann::json();
}

std::optional<int64_t> RunCost::total_passes() const {
  if (!has_parent) return passes;
  if (!parent_passes) return std::nullopt;
  return passes + *parent_passes;
}

std::optional<double> RunCost::total_wall_s() const {
  if (!has_parent) return wall_s;
  if (!parent_wall_s) return std::nullopt;
  return wall_s + *parent_wall_s;
}

nlohmann::json RunCost::to_json() const {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  nlohmann::json j = {{"steps", steps}, {"passes", passes}, {"wall_s", wall_s}, {"finished", finished}};
  if (has_parent) {
    j["parent"] = parent_path;
    j["parent_passes"] = opt(parent_passes);
    j["parent_wall_s"] = opt(parent_wall_s);
    j["total_passes"] = opt(total_passes());
    j["total_wall_s"] = opt(total_wall_s());
  }
  return j;
}

std::string RunCost::summary() const {
  std::string s = fmt::format("{} passes, {:.1f} min", passes, wall_s / 60);
  if (has_parent) {
    if (total_passes() && total_wall_s())
      s += fmt::format(" (with the parent: {} passes, {:.1f} min)", *total_passes(), *total_wall_s() / 60);
    else
      s += " (the parent's cost is unknown)";
  }
  return s;
}

RunCost read_run_cost(const RunDir& run) {
  RunCost c;
  try {
    const nlohmann::json parent = parent_info_of_run(run.read_run_json());
    if (parent.is_object()) {
      c.has_parent = true;
      c.parent_path = parent.value("path", std::string());
      const auto p = parent.value("total_passes", nlohmann::json());
      const auto w = parent.value("total_wall_s", nlohmann::json());
      if (p.is_number()) c.parent_passes = p.get<int64_t>();
      if (w.is_number()) c.parent_wall_s = w.get<double>();
    }
  } catch (const std::exception&) {
    // run.json unreadable: no parent known.
  }
  try {
    for (const auto& ev : read_events(run.events_path()).events) {
      const std::string type = ev.value("type", "");
      if (type != "step" && type != "done" && type != "stopped") continue;
      c.steps = ev.value("step", c.steps);
      c.passes = ev.value("passes", c.passes);
      if (type == "step") c.wall_s = ev.value("elapsed_s", c.wall_s);
      else c.wall_s = ev.value("wall_s", c.wall_s);
      c.finished = type == "done";
    }
  } catch (const std::exception&) {
    // No events yet: nothing trained.
  }
  return c;
}

}  // namespace omnisparse
