#include "core/capture/audio_devices.h"

#include <portaudio.h>
#ifdef OMNISPARSE_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>

#include "core/common/error.h"

namespace omnisparse {

namespace {

std::mutex& session_mutex() {
  static std::mutex m;
  return m;
}
int session_count = 0;  // guarded by session_mutex()

#ifdef OMNISPARSE_HAVE_ALSA
// ALSA probes every card it is configured for and reports each miss on stderr; on a machine
// without sound hardware that is ~65 lines per Pa_Initialize, all harmless.
void quiet_alsa_handler(const char*, int, const char*, int, const char*, ...) {}
#endif

// PortAudio's JACK host API tries to reach a JACK server on every initialisation and libjack
// prints ~30 lines when there is none. libjack is only present as PortAudio's dependency, so
// its hooks are looked up at run time rather than linked: no libjack, nothing to silence.
void quiet_jack(const char*) {}
void silence_jack() {
  using SetFn = void (*)(void (*)(const char*));
  for (const char* sym : {"jack_set_error_function", "jack_set_info_function"}) {
    if (auto* set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, sym))) set(&quiet_jack);
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string available_list(const std::vector<InputDevice>& devices) {
  if (devices.empty()) return "no audio input devices are available";
  std::string s = "available inputs: ";
  for (size_t i = 0; i < devices.size(); ++i) {
    if (i) s += ", ";
    s += "'" + devices[i].id() + "'";
    if (devices[i].is_default) s += " (default)";
  }
  return s;
}

InputDevice describe(int index) {
  const PaDeviceInfo* info = Pa_GetDeviceInfo(index);
  const PaHostApiInfo* api = info ? Pa_GetHostApiInfo(info->hostApi) : nullptr;
  InputDevice d;
  if (!info) return d;
  d.host_api = api ? api->name : "?";
  d.name = info->name ? info->name : "?";
  d.default_sample_rate = info->defaultSampleRate;
  d.max_input_channels = info->maxInputChannels;
  d.is_default = index == Pa_GetDefaultInputDevice();
  return d;
}

// Needs a live session.
std::vector<InputDevice> enumerate() {
  std::vector<InputDevice> out;
  const int n = Pa_GetDeviceCount();
  if (n < 0) throw DeviceError(std::string("PortAudio: cannot list devices: ") + Pa_GetErrorText(n));
  for (int i = 0; i < n; ++i) {
    InputDevice d = describe(i);
    if (d.max_input_channels > 0) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

PortAudioSession::PortAudioSession() {
  std::lock_guard<std::mutex> lock(session_mutex());
  if (session_count++ > 0) return;
#ifdef OMNISPARSE_HAVE_ALSA
  snd_lib_error_set_handler(&quiet_alsa_handler);
#endif
  silence_jack();
  const PaError err = Pa_Initialize();
  if (err != paNoError) {
    --session_count;
    Pa_Terminate();  // PortAudio asks for a matching Terminate even after a failed Initialize
    throw DeviceError(std::string("PortAudio: cannot initialise audio: ") + Pa_GetErrorText(err));
  }
}

PortAudioSession::~PortAudioSession() {
  std::lock_guard<std::mutex> lock(session_mutex());
  if (--session_count == 0) Pa_Terminate();
}

std::vector<InputDevice> list_input_devices() {
  PortAudioSession pa;
  return enumerate();
}

InputDevice match_input_device(const std::vector<InputDevice>& devices, const std::string& name) {
  if (devices.empty())
    throw DeviceError("no audio input devices are available (no microphone, or no PulseAudio/"
                      "ALSA server running)");
  if (name.empty()) {
    for (const auto& d : devices)
      if (d.is_default) return d;
    return devices.front();  // no default reported: the first input is the best guess
  }
  for (const auto& d : devices)
    if (d.id() == name) return d;
  for (const auto& d : devices)
    if (d.name == name) return d;
  const std::string key = lower(name);
  std::vector<const InputDevice*> hits;
  for (const auto& d : devices)
    if (lower(d.id()).find(key) != std::string::npos) hits.push_back(&d);
  if (hits.size() == 1) return *hits.front();
  if (hits.empty())
    throw DeviceError("no audio input device matches '" + name + "'; " + available_list(devices));
  std::vector<InputDevice> ambiguous;
  for (const auto* h : hits) ambiguous.push_back(*h);
  throw DeviceError("audio input name '" + name + "' is ambiguous; it matches " +
                    available_list(ambiguous).substr(std::string("available inputs: ").size()) +
                    "; give the full 'host/name'");
}

InputDevice find_input_device(const std::string& name) {
  PortAudioSession pa;
  return match_input_device(enumerate(), name);
}

std::string format_input_devices(const std::vector<InputDevice>& devices) {
  std::string out;
  for (const auto& d : devices) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "  (%d ch, %.0f Hz)", d.max_input_channels,
                  d.default_sample_rate);
    out += (d.is_default ? "* " : "  ") + d.id() + rate + "\n";
  }
  return out;
}

int portaudio_index(const InputDevice& device) {
  const int n = Pa_GetDeviceCount();
  for (int i = 0; i < n; ++i) {
    const InputDevice d = describe(i);
    if (d.max_input_channels > 0 && d.id() == device.id()) return i;
  }
  throw DeviceError("audio input '" + device.id() + "' is no longer available; " +
                    available_list(enumerate()));
}

}  // namespace omnisparse
