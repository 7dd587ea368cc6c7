#include "core/data/commands_grammar.h"

#include <functional>
#include <iterator>
#include <unordered_set>

#include "core/common/error.h"
#include "core/data/seeded_rng.h"

namespace omnisparse {
namespace {

using Words = std::vector<std::string>;

const Words kRooms = {"kitchen", "living room", "bedroom", "bathroom", "office", "hallway",
                      "garage", "dining room", "basement", "nursery", "porch", "garden"};
const Words kColors = {"red", "blue", "green", "warm white", "cool white", "purple",
                       "orange", "yellow", "pink"};
const Words kContacts = {"mom", "dad", "grandma", "anna", "peter", "maria", "john", "sarah",
                         "david", "emma", "the office", "my brother", "my sister", "doctor lee"};
const Words kCities = {"london", "paris", "boston", "chicago", "seattle", "denver", "madrid",
                       "tokyo", "berlin", "dublin", "toronto", "sydney", "austin", "miami"};
const Words kDays = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
const Words kMonths = {"january", "february", "march", "april", "may", "june", "july",
                       "august", "september", "october", "november", "december"};
const Words kOrdinals = {"first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                         "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth",
                         "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
                         "nineteenth", "twentieth", "twenty first", "twenty second",
                         "twenty third", "twenty fourth", "twenty fifth", "twenty sixth",
                         "twenty seventh", "twenty eighth", "twenty ninth", "thirtieth"};
const Words kGenres = {"jazz", "rock", "classical", "pop", "country", "blues", "piano",
                       "relaxing", "dance", "folk", "reggae", "hip hop"};
const Words kTasks = {"call the dentist", "buy milk", "take out the trash", "water the plants",
                      "pick up the kids", "pay the rent", "feed the cat", "walk the dog",
                      "check the oven", "send the report", "book a table", "charge my phone",
                      "take my medicine", "lock the door", "bring an umbrella", "call grandma"};
const Words kTimerNames = {"pasta", "pizza", "tea", "laundry", "workout", "nap", "egg",
                           "cookie", "rice", "study"};
const Words kWhen = {"today", "tomorrow", "tonight", "this weekend", "this afternoon",
                     "tomorrow morning", "next week", "this evening"};
const Words kUnits = {"miles", "kilometers", "pounds", "kilograms", "cups", "ounces",
                      "inches", "feet", "liters", "gallons"};
const Words kOps = {"plus", "minus", "times", "divided by"};
const Words kCallWays = {"on speaker", "right now", "on the mobile", "at home", "at work",
                         "please", "on video"};
const Words kMessages = {"i am on my way", "running late", "see you soon", "call me back",
                         "happy birthday", "dinner is ready", "i will be home at six",
                         "thanks for everything", "where are you", "good night"};

std::string hour_words(SeededRng& r) {
  const int h = 1 + static_cast<int>(r.index(12));
  switch (r.index(6)) {
    case 0: return number_words(h) + " o'clock";
    case 1: return number_words(h) + " thirty";
    case 2: return "quarter past " + number_words(h);
    case 3: return "half past " + number_words(h);
    case 4: { int m = 5 + 5 * static_cast<int>(r.index(11)); return number_words(h) + (m < 10 ? " oh " : " ") + number_words(m); }
    default: return number_words(h) + (r.index(2) ? " a m" : " p m");
  }
}

std::string duration_words(SeededRng& r) {
  const int n = 1 + static_cast<int>(r.index(r.index(3) ? 59 : 12));
  const char* unit = r.index(4) ? " minute" : (r.index(2) ? " hour" : " second");
  return (n == 1 ? std::string("one") : number_words(n)) + unit + (n == 1 ? "" : "s");
}

std::string date_words(SeededRng& r) {
  if (r.index(3) == 0) return r.pick(kDays);
  if (r.index(2)) return r.pick(kMonths) + " " + r.pick(kOrdinals);
  return "the " + r.pick(kOrdinals) + " of " + r.pick(kMonths);
}

std::string small_number(SeededRng& r, int max) { return number_words(static_cast<int64_t>(r.index(static_cast<size_t>(max)) + 1)); }

// One generator per kind of command; each returns one sentence.
const std::vector<std::function<std::string(SeededRng&)>>& generators() {
  using R = SeededRng;
  static const std::vector<std::function<std::string(R&)>> g = {
      // timers
      [](R& r) { return "set a timer for " + duration_words(r); },
      [](R& r) { return "start a " + r.pick(kTimerNames) + " timer for " + duration_words(r); },
      [](R& r) { return "how much time is left on the " + r.pick(kTimerNames) + " timer"; },
      [](R& r) { return "add " + duration_words(r) + " to the " + r.pick(kTimerNames) + " timer"; },
      // alarms
      [](R& r) { return "wake me up at " + hour_words(r) + " " + r.pick(kWhen); },
      [](R& r) { return "set an alarm for " + hour_words(r) + " on " + r.pick(kDays); },
      [](R& r) { return "turn off my " + hour_words(r) + " alarm"; },
      [](R& r) { return "snooze the alarm for " + small_number(r, 30) + " minutes"; },
      // reminders
      [](R& r) { return "remind me to " + r.pick(kTasks) + " at " + hour_words(r); },
      [](R& r) { return "remind me to " + r.pick(kTasks) + " " + r.pick(kWhen); },
      [](R& r) { return "remind me on " + date_words(r) + " to " + r.pick(kTasks); },
      // lights and thermostat
      [](R& r) { return std::string("turn ") + (r.index(2) ? "on" : "off") + " the " + r.pick(kRooms) + " lights"; },
      [](R& r) { return "dim the " + r.pick(kRooms) + " lights to " + small_number(r, 99) + " percent"; },
      [](R& r) { return "set the " + r.pick(kRooms) + " lights to " + r.pick(kColors); },
      [](R& r) { return "set the thermostat to " + number_words(55 + static_cast<int64_t>(r.index(30))) + " degrees"; },
      [](R& r) { return std::string("make it ") + (r.index(2) ? "warmer" : "cooler") + " in the " + r.pick(kRooms); },
      [](R& r) { return "what is the temperature in the " + r.pick(kRooms); },
      // music
      [](R& r) { return "play some " + r.pick(kGenres) + " music in the " + r.pick(kRooms); },
      [](R& r) { return "set the volume to " + small_number(r, 10); },
      [](R& r) { return "shuffle my " + r.pick(kGenres) + " playlist"; },
      [](R& r) { return "skip this song and turn the volume " + std::string(r.index(2) ? "up" : "down"); },
      // calls and messages
      [](R& r) { return "call " + r.pick(kContacts) + " " + r.pick(kCallWays); },
      [](R& r) { return "send a message to " + r.pick(kContacts) + " saying " + r.pick(kMessages); },
      [](R& r) { return "read my last " + small_number(r, 9) + " messages from " + r.pick(kContacts); },
      // weather
      [](R& r) { return "what is the weather in " + r.pick(kCities) + " " + r.pick(kWhen); },
      [](R& r) { return "will it rain in " + r.pick(kCities) + " on " + date_words(r); },
      [](R& r) { return "do i need an umbrella " + r.pick(kWhen); },
      // numbers and units
      [](R& r) { return "what is " + number_words(static_cast<int64_t>(r.index(1000))) + " " + r.pick(kOps) + " " + small_number(r, 99); },
      [](R& r) { return "convert " + small_number(r, 500) + " " + r.pick(kUnits) + " to " + r.pick(kUnits); },
      // dates and calendar
      [](R& r) { return "what day of the week is " + r.pick(kMonths) + " " + r.pick(kOrdinals); },
      [](R& r) { return "add a meeting with " + r.pick(kContacts) + " on " + date_words(r) + " at " + hour_words(r); },
      [](R& r) { return "what is on my calendar for " + date_words(r); },
  };
  return g;
}

}  // namespace

std::string number_words(int64_t n) {
  static const char* ones[] = {"zero", "one", "two", "three", "four", "five", "six", "seven",
                               "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
                               "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static const char* tens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                               "eighty", "ninety"};
  if (n < 0 || n > 999999) throw InvalidArgument("number_words: " + std::to_string(n) + " is outside 0..999999");
  if (n < 20) return ones[n];
  if (n < 100) return std::string(tens[n / 10]) + (n % 10 ? std::string(" ") + ones[n % 10] : "");
  if (n < 1000)
    return std::string(ones[n / 100]) + " hundred" + (n % 100 ? " " + number_words(n % 100) : "");
  return number_words(n / 1000) + " thousand" + (n % 1000 ? " " + number_words(n % 1000) : "");
}

std::vector<std::string> generate_commands(size_t n, uint64_t seed) {
  SeededRng rng(seed, 0xC0111A4D5ull);
  const auto& gens = generators();
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  // Rejection of duplicates; the budget stops the loop once the grammar is nearly exhausted.
  for (size_t attempts = 0; out.size() < n && attempts < 50 * n + 1000; ++attempts) {
    std::string s = gens[rng.index(gens.size())](rng);
    if (seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> generate_digit_strings(size_t n, uint64_t seed) {
  static const char* kDigits[] = {"zero", "one", "two", "three", "four", "five",
                                  "six",  "seven", "eight", "nine", "oh"};
  SeededRng rng(seed, 0xD161757ull);
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (size_t attempts = 0; out.size() < n && attempts < 50 * n + 1000; ++attempts) {
    const size_t len = 3 + rng.index(5);
    std::string s;
    for (size_t i = 0; i < len; ++i) {
      if (i) s += ' ';
      s += kDigits[rng.index(std::size(kDigits))];
    }
    if (seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace omnisparse
