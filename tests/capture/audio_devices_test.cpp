#include "core/capture/audio_devices.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/common/error.h"
#include "tests/capture/test_sink.h"

namespace omnisparse {
namespace {

std::vector<InputDevice> fake_devices() {
  return {{"ALSA", "sysdefault", 48000, 2, false},
          {"ALSA", "pulse", 44100, 32, false},
          {"ALSA", "default", 44100, 32, true},
          {"JACK Audio Connection Kit", "system", 48000, 2, false}};
}

std::string error_of(const std::vector<InputDevice>& devices, const std::string& name) {
  try {
    match_input_device(devices, name);
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "";
}

TEST(AudioDevices, EmptyNamePicksTheDefaultInput) {
  EXPECT_EQ(match_input_device(fake_devices(), "").id(), "ALSA/default");
}

TEST(AudioDevices, ExactIdAndExactNameBeatSubstrings) {
  // "default" is also a substring of "sysdefault": the exact name wins.
  EXPECT_EQ(match_input_device(fake_devices(), "default").id(), "ALSA/default");
  EXPECT_EQ(match_input_device(fake_devices(), "ALSA/sysdefault").name, "sysdefault");
  EXPECT_EQ(match_input_device(fake_devices(), "alsa/PUL").id(), "ALSA/pulse");
  EXPECT_EQ(match_input_device(fake_devices(), "jack").name, "system");
}

TEST(AudioDevices, UnknownNameErrorListsTheAvailableInputs) {
  const std::string msg = error_of(fake_devices(), "usb headset");
  EXPECT_NE(msg.find("'usb headset'"), std::string::npos) << msg;
  for (const auto& d : fake_devices()) EXPECT_NE(msg.find(d.id()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'ALSA/default' (default)"), std::string::npos) << msg;
}

TEST(AudioDevices, AmbiguousSubstringErrorNamesTheCandidates) {
  const std::string msg = error_of(fake_devices(), "alsa");
  EXPECT_NE(msg.find("ambiguous"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ALSA/pulse"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("JACK"), std::string::npos) << msg;  // not a candidate
}

TEST(AudioDevices, NoDevicesAtAllIsAClearError) {
  const std::string msg = error_of({}, "");
  EXPECT_NE(msg.find("no audio input devices"), std::string::npos) << msg;
}

TEST(AudioDevices, FormatMarksTheDefaultWithAStar) {
  EXPECT_EQ(format_input_devices({fake_devices()[1], fake_devices()[2]}),
            "  ALSA/pulse  (32 ch, 44100 Hz)\n* ALSA/default  (32 ch, 44100 Hz)\n");
}

TEST(AudioDevices, SandboxListsPulseOrDefaultWithInputs) {
  REQUIRE_TEST_SINK();
  const auto devices = list_input_devices();
  const auto it = std::find_if(devices.begin(), devices.end(), [](const InputDevice& d) {
    return d.name == "pulse" || d.name == "default";
  });
  ASSERT_NE(it, devices.end()) << format_input_devices(devices);
  EXPECT_GT(it->max_input_channels, 0);
  EXPECT_GT(it->default_sample_rate, 0);
  EXPECT_EQ(std::count_if(devices.begin(), devices.end(),
                          [](const InputDevice& d) { return d.is_default; }),
            1);
  // Looking a listed device up by its id finds that same device.
  EXPECT_EQ(find_input_device(it->id()).id(), it->id());
}

TEST(AudioDevices, NonexistentDeviceGivesDeviceErrorListingDevices) {
  REQUIRE_TEST_SINK();
  try {
    find_input_device("no-such-microphone-xyz");
    FAIL() << "expected DeviceError";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("no-such-microphone-xyz"), std::string::npos) << msg;
    EXPECT_TRUE(msg.find("/pulse'") != std::string::npos ||
                msg.find("/default'") != std::string::npos)
        << msg;
  }
}

TEST(AudioDevices, SessionsNestAndReinitialise) {
  REQUIRE_TEST_SINK();
  {
    PortAudioSession outer;
    PortAudioSession inner;
    EXPECT_FALSE(list_input_devices().empty());
  }
  // All sessions ended (Pa_Terminate); a new one starts PortAudio again.
  EXPECT_FALSE(list_input_devices().empty());
}

}  // namespace
}  // namespace omnisparse
