#include "core/sparsity/schedules.h"

#include <string>

#include "core/common/error.h"
#include "core/common/config_json.h"

namespace omnisparse {

void CubicSchedule::Validate() const {
  auto level_ok = [](double s) { return s >= 0.0 && s < 1.0; };
  if (!level_ok(initial)) throw ConfigError("schedule.initial: must be in [0, 1)");
  if (!level_ok(final)) throw ConfigError("schedule.final: must be in [0, 1)");
  if (initial > final) throw ConfigError("schedule.initial: must not exceed schedule.final");
  if (warmup_steps < 0) throw ConfigError("schedule.warmup_steps: must be >= 0");
  if (ramp_steps < 1) throw ConfigError("schedule.ramp_steps: must be >= 1");
  if (update_every < 1 || update_every > ramp_steps) {
    throw ConfigError("schedule.update_every: must be in [1, ramp_steps]");
  }
}

double CubicSchedule::at(int64_t step) const {
  if (step < warmup_steps) return 0.0;
  if (step >= end_step()) return final;
  const int64_t since = (step - warmup_steps) / update_every * update_every;
  const double remaining = 1.0 - static_cast<double>(since) / static_cast<double>(ramp_steps);
  return final + (initial - final) * remaining * remaining * remaining;
}

void to_json(nlohmann::json& j, const CubicSchedule& s) {
  j = {{"initial", s.initial},
       {"final", s.final},
       {"warmup_steps", s.warmup_steps},
       {"ramp_steps", s.ramp_steps},
       {"update_every", s.update_every}};
}

void from_json(const nlohmann::json& j, CubicSchedule& s) {
  JsonFields f(j, "schedule");
  f.get("initial", s.initial);
  f.get("final", s.final);
  f.get("warmup_steps", s.warmup_steps);
  f.get("ramp_steps", s.ramp_steps);
  f.get("update_every", s.update_every);
  f.finish();
  s.Validate();
}

}  // namespace omnisparse
