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
#include "tests/widgets/trained_run.h"
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

TEST(LivePanel, AnAudioFileIsPlayedThroughTheLivePathWithoutAnyDevice) {
  ScratchSettings settings;
  test::TempDir dir;
  const auto wav = dir / "command.wav";
  ASSERT_EQ(std::system(("espeak-ng -w '" + wav.string() + "' 'turn on the kitchen lights'").c_str()), 0);
  LivePanel panel;
  panel.setRun(QString::fromStdString(trained_run().string()));
  panel.setAbMode(true);  // a recording auditioned on A and B: greedy against beam search
  panel.setBeam(1, 4);
  panel.setInputFile(QString::fromStdString(wav.string()));
  EXPECT_EQ(panel.deviceId(), "file:" + QString::fromStdString(wav.string()));
  bool playing = false;
  panel.startButton()->click();
  ASSERT_TRUE(panel.isRunning());
  // It ends by itself at the file's end (about 2 s of audio).
  ASSERT_TRUE(test::wait_until([&] {
    playing = playing || panel.message().startsWith("Playing");
    return !panel.isRunning();
  }, 60000));
  EXPECT_TRUE(playing);
  EXPECT_EQ(panel.message(), "Stopped");
  EXPECT_EQ(panel.title(0), "A: dense");
  EXPECT_EQ(panel.title(1), "B: dense, beam 4");
  for (int side = 0; side < 2; ++side)  // both sides decoded it: their stats were reported
    EXPECT_TRUE(panel.statsText(side).startsWith("RTF ") && panel.statsText(side) != "RTF -, latency -")
        << panel.statsText(side).toStdString();
  EXPECT_FALSE(QSettings().contains("live/device"));  // a file is not remembered as the device

  panel.setInputFile(QString::fromStdString((dir / "gone.wav").string()));
  panel.startButton()->click();
  ASSERT_TRUE(test::wait_until([&] { return !panel.isRunning(); }, 15000));
  EXPECT_NE(panel.message().indexOf("gone.wav"), -1) << panel.message().toStdString();
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
