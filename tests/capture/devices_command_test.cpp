// `omnisparse devices` against the PulseAudio sandbox (runs the built CLI).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/capture/test_sink.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace {

TEST(DevicesCommand, JsonListsTheSandboxInputsWithOneDefault) {
  REQUIRE_TEST_SINK();
  if (!std::filesystem::exists(OMNISPARSE_CLI))
    GTEST_SKIP() << "the omnisparse CLI is not built (" << OMNISPARSE_CLI << ")";
  const auto r = test::run_cli({"devices", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.at("devices").is_array());
  int defaults = 0;
  bool pulse_or_default = false;
  for (const auto& d : j["devices"]) {
    EXPECT_EQ(d.at("id").get<std::string>(),
              d.at("host_api").get<std::string>() + "/" + d.at("name").get<std::string>());
    EXPECT_GT(d.at("max_input_channels").get<int>(), 0);
    EXPECT_GT(d.at("default_sample_rate").get<double>(), 0);
    defaults += d.at("is_default").get<bool>();
    const auto name = d["name"].get<std::string>();
    pulse_or_default |= name == "pulse" || name == "default";
  }
  EXPECT_EQ(defaults, 1);
  EXPECT_TRUE(pulse_or_default) << r.out;
  // No ALSA/JACK chatter leaks onto the terminal.
  EXPECT_EQ(r.err.find("ALSA lib"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("jack server"), std::string::npos) << r.err;
}

TEST(DevicesCommand, TextMarksTheDefaultInput) {
  REQUIRE_TEST_SINK();
  if (!std::filesystem::exists(OMNISPARSE_CLI))
    GTEST_SKIP() << "the omnisparse CLI is not built (" << OMNISPARSE_CLI << ")";
  const auto r = test::run_cli({"devices"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("* ALSA/default"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace omnisparse
