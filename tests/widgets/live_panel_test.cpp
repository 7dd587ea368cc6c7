// Live panel (label gui): with no usable device it says so and stays usable; with the
// PulseAudio sandbox it lists the inputs by host/name and remembers the chosen one.
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QPushButton>
#include <QSettings>

#include <cstdlib>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "tests/widgets/scratch_settings.h"
#include "widgets/live_panel.h"

namespace omnisparse::widgets {
namespace {

using test::ScratchSettings;

TEST(LivePanel, NonexistentDeviceShowsAClearMessageAndThePanelStaysUsable) {
  ScratchSettings settings;
  LivePanel panel;
  panel.setRun("/nonexistent/run");  // the device is checked before the model is loaded
  panel.setDeviceId("no-such-device-xyz");
  for (int attempt = 0; attempt < 2; ++attempt) {
    panel.startButton()->click();
    EXPECT_TRUE(panel.isRunning());
    EXPECT_EQ(panel.startButton()->text(), "Stop");
    ASSERT_TRUE(test::wait_until([&] { return !panel.isRunning(); }, 15000));
    // The core's DeviceError: it names the device and lists the inputs, or says there are none.
    const QString m = panel.message();
    EXPECT_TRUE(m.contains("no-such-device-xyz") || m.contains("no audio input devices"))
        << m.toStdString();
    EXPECT_EQ(panel.startButton()->text(), "Start");
    EXPECT_TRUE(panel.startButton()->isEnabled());
    EXPECT_TRUE(panel.transcript(0).isEmpty());
  }
  // Still usable: the picker takes another device and A/B mode toggles.
  panel.setAbMode(true);
  panel.setDeviceId("another-missing-device");
  EXPECT_EQ(panel.deviceId(), "another-missing-device");
  EXPECT_FALSE(QSettings().contains("live/device"));  // only a device that opened is remembered
}

TEST(LivePanel, StartWithoutARunAsksForOne) {
  ScratchSettings settings;
  LivePanel panel;
  panel.startButton()->click();
  EXPECT_FALSE(panel.isRunning());
  EXPECT_NE(panel.message().indexOf("Open a run"), -1) << panel.message().toStdString();
}

TEST(LivePanel, SandboxInputsAreListedByHostAndNameAndTheRememberedOneIsPicked) {
  if (!std::getenv("OMNISPARSE_TEST_SINK"))
    GTEST_SKIP() << "OMNISPARSE_TEST_SINK is unset: no PulseAudio sandbox (scripts/test.sh)";
  ScratchSettings settings;
  {
    LivePanel panel;
    EXPECT_TRUE(panel.deviceIds().contains("ALSA/pulse")) << panel.deviceIds().join(", ").toStdString();
    EXPECT_TRUE(panel.deviceIds().contains("ALSA/default"));
  }
  QSettings().setValue("live/device", "ALSA/pulse");
  {
    LivePanel panel;
    EXPECT_EQ(panel.deviceId(), "ALSA/pulse");
  }
  QSettings().setValue("live/device", "ALSA/unplugged-usb-mic");
  LivePanel panel;
  EXPECT_EQ(panel.deviceId(), "ALSA/unplugged-usb-mic");
  EXPECT_NE(panel.message().indexOf("not connected"), -1) << panel.message().toStdString();
}

}  // namespace
}  // namespace omnisparse::widgets
