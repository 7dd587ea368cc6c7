#include "core/data/prompt_set.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <regex>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "core/audio/audio_io.h"
#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/data/commands_grammar.h"
#include "core/data/tokenizer.h"
#include "core/data/transcript.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSpeaker = "9000";
constexpr const char* kChapter = "1";

// Acronyms in the prompts and how the speaker says them; "" = no single reading (skipped).
const std::map<std::string, std::string>& acronyms() {
  static const std::map<std::string, std::string> m = {
      {"PBX", "p b x"}, {"USB", "u s b"}, {"IVR", "i v r"}, {"IP", "i p"},   {"MGCP", "m g c p"},
      {"SIP", "sip"},   {"A.M", "a m"},   {"P.M", "p m"},   {"IAX", ""},    {"DAHDI", ""},
  };
  return m;
}

std::string trim_prompt(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Reads the whole file; zlib passes a file that is not gzip through unchanged.
std::string read_maybe_gzip(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw IoError(file, "no such file (install asterisk-core-sounds-en)");
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) throw IoError(file, "cannot open");
  std::string out;
  char buf[1 << 14];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  int err = 0;
  const std::string why = n < 0 ? gzerror(f, &err) : "";
  // A stream cut short reads as end of file; gzclose is what reports it (Z_BUF_ERROR).
  const int closed = gzclose(f);
  if (n < 0) throw FormatError(file, "corrupt gzip data (" + why + ")");
  if (closed == Z_BUF_ERROR) throw FormatError(file, "truncated gzip data (unexpected end of file)");
  return out;
}

std::string digits_words(const std::string& digits) {
  std::string out;
  for (char c : digits) {
    if (!out.empty()) out += ' ';
    out += number_words(c - '0');
  }
  return out;
}

}  // namespace

std::vector<PromptText> read_prompt_index(const fs::path& file) {
  const std::string body = read_maybe_gzip(file);
  std::vector<PromptText> out;
  size_t pos = 0;
  for (int line = 1; pos < body.size(); ++line) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    const std::string l = trim_prompt(body.substr(pos, end - pos));
    pos = end + 1;
    if (l.empty() || l[0] == ';') continue;
    const auto colon = l.find(": ");
    if (colon == std::string::npos || colon == 0 || l.find(' ') < colon)
      throw FormatError(file, fmt::format("line {}: expected \"key: text\", got \"{}\"", line, l.substr(0, 60)));
    out.push_back({l.substr(0, colon), trim_prompt(l.substr(colon + 2)), line});
  }
  if (out.empty()) throw FormatError(file, "no \"key: text\" lines");
  return out;
}

SpokenForm spoken_form(std::string_view written) {
  // Annotations are not speech.
  static const std::regex annotation(R"(\[[^\]]*\]|\([^)]*\)|<[^>]*>)");
  std::string s = std::regex_replace(std::string(written), annotation, " ");
  if (std::none_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c); }))
    return {"", "annotation only (no words)", ""};
  if (s.find('$') != std::string::npos) return {"", "amount of money (no single reading)", ""};

  // Acronyms, before digits ("H.323") and case folding.
  static const std::regex caps(R"(\b[A-Z](?:\.?[A-Z])+\b)");
  std::string out;
  auto last = s.cbegin();
  for (std::sregex_iterator it(s.begin(), s.end(), caps), end; it != end; ++it) {
    const std::string a = it->str();
    out.append(last, s.cbegin() + it->position());
    last = s.cbegin() + it->position() + it->length();
    const auto known = acronyms().find(a);
    if (known != acronyms().end() && known->second.empty())
      return {"", "acronym said as a word", a};
    if (known != acronyms().end()) {
      out += " " + known->second + " ";
    } else {
      std::string letters;
      for (char c : a)
        if (c != '.') letters += std::string(letters.empty() ? "" : " ") + static_cast<char>(std::tolower(c));
      out += " " + letters + " ";
    }
  }
  out.append(last, s.cend());
  s.swap(out);

  // Numbers: "28.8" -> "twenty eight point eight"; 0-99 and whole hundreds as words.
  static const std::regex number(R"((\d+)(?:\.(\d+))?)");
  out.clear();
  last = s.cbegin();
  for (std::sregex_iterator it(s.begin(), s.end(), number), end; it != end; ++it) {
    const std::string whole = (*it)[1].str();
    out.append(last, s.cbegin() + it->position());
    last = s.cbegin() + it->position() + it->length();
    const long long n = whole.size() > 6 ? -1 : std::stoll(whole);
    std::string words;
    if (n >= 0 && n < 100 && !(whole.size() > 1 && whole[0] == '0')) words = number_words(n);
    else if (n >= 100 && n < 1000 && n % 100 == 0) words = number_words(n);
    else return {"", "number with no single reading", it->str()};
    if ((*it)[2].matched) words += " point " + digits_words((*it)[2].str());
    out += " " + words + " ";
  }
  out.append(last, s.cend());

  // Symbols that are read out.
  static const std::map<char, const char*> symbols = {{'*', "star"}, {'#', "pound"}, {'&', "and"},
                                                      {'%', "percent"}, {'+', "plus"}, {'@', "at"},
                                                      {'=', "equals"}};
  s.clear();
  for (char c : out) {
    const auto it = symbols.find(c);
    s += it == symbols.end() ? std::string(1, c) : std::string(" ") + it->second + " ";
  }
  std::string text = normalize_transcript(s);
  if (text.empty()) return {"", "annotation only (no words)", ""};
  static const CharTokenizer tokenizer;
  if (!tokenizer.can_encode(text)) {
    std::string odd;
    for (char c : text)
      if (!tokenizer.can_encode(std::string(1, c)) && odd.find(c) == std::string::npos) odd += c;
    return {"", "characters outside the alphabet", odd};
  }
  return {text, "", ""};
}

nlohmann::json PromptSetSummary::to_json() const {
  nlohmann::json skip = nlohmann::json::object();
  for (const auto& [why, keys] : skipped) skip[why] = keys;
  return {{"format", "omnisparse-prompt-set"}, {"speaker", "Asterisk core prompts (en_US_f_Allison)"},
          {"utterances", utterances},          {"audio_minutes", audio_s / 60},
          {"prompts", prompts},                {"usable", usable},
          {"train_texts", train_texts},        {"test_texts", test_texts},
          {"skipped", skip}};
}

PromptSetSummary build_prompt_set(const PromptSetConfig& c) {
  if (c.heldout_fraction < 0 || c.heldout_fraction >= 1)
    throw ConfigError(fmt::format("heldout_fraction: {} is outside [0, 1)", c.heldout_fraction));
  std::error_code ec;
  if (!fs::is_directory(c.sounds, ec))
    throw IoError(c.sounds, "no such directory (install asterisk-core-sounds-en-wav)");
  if (fs::exists(c.out, ec) && !fs::is_directory(c.out, ec)) throw IoError(c.out, "exists and is not a directory");
  if (fs::exists(c.out, ec) && !fs::is_empty(c.out, ec) && !c.overwrite)
    throw IoError(c.out, "is not empty; choose a new directory or pass --overwrite");

  PromptSetSummary s;
  const auto index = read_prompt_index(c.index);
  s.prompts = static_cast<int64_t>(index.size());
  struct Item { std::string key, written, text; fs::path wav; };
  std::map<std::string, std::string> detail;  // skipped key -> what caused it
  std::vector<Item> items;
  for (const auto& p : index) {
    const SpokenForm f = spoken_form(p.text);
    if (!f.skip_reason.empty()) {
      s.skipped[f.skip_reason].push_back(p.key);
      detail[p.key] = f.skip_detail;
      continue;
    }
    const fs::path wav = c.sounds / (p.key + ".wav");
    if (!fs::is_regular_file(wav, ec)) {
      s.skipped["no sound file"].push_back(p.key);
      continue;
    }
    items.push_back({p.key, p.text, f.text, wav});
  }
  s.usable = static_cast<int64_t>(items.size());
  if (items.empty()) throw FormatError(c.index, "no prompt has both words and a sound file");

  // The split is over unique texts, so no text is on both sides.
  std::vector<std::string> texts;
  for (const auto& it : items) texts.push_back(it.text);
  std::sort(texts.begin(), texts.end());
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  std::set<std::string> heldout(texts.begin(), texts.end());
  std::vector<std::string> train_texts;
  if (c.heldout_fraction > 0) {
    std::mt19937_64 rng(c.seed);
    std::shuffle(texts.begin(), texts.end(), rng);
    const size_t n_test = std::max<size_t>(1, static_cast<size_t>(c.heldout_fraction * static_cast<double>(texts.size()) + 0.5));
    heldout = std::set<std::string>(texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(n_test));
    train_texts.assign(texts.begin() + static_cast<std::ptrdiff_t>(n_test), texts.end());
    std::sort(train_texts.begin(), train_texts.end());
    s.train_texts = static_cast<int64_t>(train_texts.size());
    s.test_texts = static_cast<int64_t>(heldout.size());
  }

  // Built beside OUT, renamed into place when complete.
  const fs::path out = fs::absolute(c.out).lexically_normal();
  std::string tmp_name = ".";
  tmp_name += out.filename().string();
  tmp_name += ".building";
  const fs::path tmp = out.parent_path() / tmp_name;
  fs::remove_all(tmp, ec);
  const fs::path dir = tmp / "test" / kSpeaker / kChapter;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(tmp, "cannot create directory (" + ec.message() + ")");
  try {
    std::string trans, tsv = "id\tkey\twritten\tscored\n", skipped = "key\treason\tdetail\n";
    int n = 0;
    for (const auto& it : items) {
      if (!heldout.count(it.text)) continue;
      const std::string id = fmt::format("{}-{}-{:04d}", kSpeaker, kChapter, n++);
      const auto audio = read_audio_16k(it.wav);
      write_audio(dir / (id + ".flac"), audio, kSampleRate);
      s.audio_s += static_cast<double>(audio.size()) / kSampleRate;
      std::string upper = it.text;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      trans += id + " " + upper + "\n";
      tsv += id + "\t" + it.key + "\t" + it.written + "\t" + it.text + "\n";
    }
    s.utterances = n;
    for (const auto& [why, keys] : s.skipped)
      for (const auto& k : keys) skipped += k + "\t" + why + "\t" + detail[k] + "\n";
    write_file_atomic(dir / fmt::format("{}-{}.trans.txt", kSpeaker, kChapter), trans);
    write_file_atomic(tmp / "prompts.tsv", tsv);
    write_file_atomic(tmp / "skipped.tsv", skipped);
    if (c.heldout_fraction > 0) {
      std::string tr, te;
      for (const auto& t : train_texts) tr += t + "\n";
      for (const auto& t : heldout) te += t + "\n";
      write_file_atomic(tmp / "train-texts.txt", tr);
      write_file_atomic(tmp / "test-texts.txt", te);
    }
    write_file_atomic(tmp / "prompts.json", s.to_json().dump(2) + "\n");
    if (fs::exists(out, ec)) fs::remove_all(out, ec);
    fs::rename(tmp, out, ec);
    if (ec) throw IoError(out, "cannot move the finished set into place (" + ec.message() + ")");
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return s;
}

}  // namespace omnisparse
