// The built-in `commands` text domain: on-device voice commands (timers, alarms, reminders,
// lights and thermostat, music, calls and messages, weather, arithmetic, times and dates) with
// numbers spelled as words. A few hundred words in all, so a small model learns it in minutes on
// a CPU, yet tens of thousands of distinct sentences, so train/dev/test can be disjoint.
//
//   auto sentences = generate_commands(3000, seed);  // 3000 distinct normalised sentences
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace omnisparse {

// Up to `n` distinct sentences, deterministic under `seed`, already in normalised form.
std::vector<std::string> generate_commands(size_t n, uint64_t seed);

// The built-in `digits` domain: strings of 3 to 7 digit words ("four oh seven two"), like
// phone numbers and PINs read out: eleven words, so the tiny model learns it in a few minutes
// (the quick demo). Up to `n` distinct strings, deterministic under `seed`.
std::vector<std::string> generate_digit_strings(size_t n, uint64_t seed);

// 0..999999 in words: 21 -> "twenty one", 1905 -> "one thousand nine hundred five".
std::string number_words(int64_t n);

}  // namespace omnisparse
