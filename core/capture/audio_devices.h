// Audio input devices through PortAudio: list them and find one by name.
//
//   PortAudioSession pa;                                  // Pa_Initialize, reference counted
//   for (const auto& d : list_input_devices()) print(d.id(), d.default_sample_rate);
//   InputDevice mic = find_input_device("pulse");        // or "ALSA/pulse", or "" = default
//
// Devices are named "host API/device name" (e.g. "ALSA/pulse") and never by index: PortAudio
// indices reorder between runs and after hot-plugging, so a remembered index picks the wrong
// microphone. A name that matches nothing (or several devices) throws DeviceError listing the
// available inputs, so the message itself says what to type instead.
//
// Threads: PortAudio's device list is not thread-safe to refresh; create sessions and list
// devices from one thread (the GUI thread or the CLI main). While any session is alive the list
// is the snapshot taken when the first one started.
#pragma once

#include <string>
#include <vector>

namespace omnisparse {

// Pa_Initialize on the first live instance, Pa_Terminate when the last one dies. Also silences
// ALSA's "cannot find card '0'" chatter (it goes to stderr on every initialisation).
class PortAudioSession {
 public:
  PortAudioSession();   // throws DeviceError when PortAudio cannot start
  ~PortAudioSession();
  PortAudioSession(const PortAudioSession&) = delete;
  PortAudioSession& operator=(const PortAudioSession&) = delete;
};

struct InputDevice {
  std::string host_api;            // "ALSA", "JACK Audio Connection Kit", ...
  std::string name;                // "pulse", "default", "HDA Intel PCH: ALC3246 Analog (hw:0,0)"
  double default_sample_rate = 0;
  int max_input_channels = 0;
  bool is_default = false;         // PortAudio's default input device

  std::string id() const { return host_api + "/" + name; }  // what users and settings store
};

// Every device with at least one input channel (opens a PortAudioSession for the call).
std::vector<InputDevice> list_input_devices();

// The device matching `name`: "" picks the default input; otherwise, in order, an exact
// "host/name" id, an exact device name, then a case-insensitive substring of the id that
// matches exactly one device. Throws DeviceError listing the inputs when none (or several)
// match, or when there are no inputs at all.
InputDevice find_input_device(const std::string& name);

// The same matching over a given list (what find_input_device uses; testable without audio).
InputDevice match_input_device(const std::vector<InputDevice>& devices, const std::string& name);

// One line per device: "* ALSA/pulse  (32 ch, 44100 Hz)"; '*' marks the default.
std::string format_input_devices(const std::vector<InputDevice>& devices);

// PortAudio's current index for a device (needs a live PortAudioSession). Throws DeviceError
// when it is gone. Only for opening a stream right now: never store it.
int portaudio_index(const InputDevice& device);

}  // namespace omnisparse
