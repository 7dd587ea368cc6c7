// `omnisparse devices [--json]`: the audio inputs `transcribe --mic --device NAME` can use,
// named "host API/device" (indices reorder between runs, so they are never shown as the key).
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#ifdef OMNISPARSE_WITH_CAPTURE
#include "core/capture/audio_devices.h"
#endif

namespace {

void devices_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("devices", "List audio input devices (host API/name, default rate, channels)");
  cmd->callback([] {
#ifdef OMNISPARSE_WITH_CAPTURE
    const auto devices = omnisparse::list_input_devices();
    if (omnisparse::cli::globals().json) {
      nlohmann::json out = {{"devices", nlohmann::json::array()}};
      for (const auto& d : devices)
        out["devices"].push_back({{"id", d.id()},
                                  {"host_api", d.host_api},
                                  {"name", d.name},
                                  {"default_sample_rate", d.default_sample_rate},
                                  {"max_input_channels", d.max_input_channels},
                                  {"is_default", d.is_default}});
      std::cout << out.dump(2) << "\n";
    } else if (devices.empty()) {
      std::cout << "no audio input devices found (no microphone, or no PulseAudio/ALSA server "
                   "running)\n";
    } else {
      std::cout << omnisparse::format_input_devices(devices)
                << "(* = default; pass the name or a unique part of it to --device)\n";
    }
#else
    if (omnisparse::cli::globals().json)
      std::cout << nlohmann::json{{"devices", nlohmann::json::array()}, {"capture", false}}.dump(2)
                << "\n";
    else
      std::cout << "this build has no microphone support (built with OMNISPARSE_HEADLESS)\n";
#endif
  });
}

}  // namespace

OMNISPARSE_COMMAND(80, devices_command);
