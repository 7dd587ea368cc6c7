#include "core/io/checkpoint_store.h"

#include <algorithm>
#include <charconv>
#include <system_error>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/file_manifest.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {
constexpr std::string_view kPrefix = "ckpt-";
constexpr std::string_view kSuffix = ".safetensors";

// "ckpt-123.safetensors" -> 123; nullopt for any other name (no path parts, no sign).
std::optional<int64_t> step_of(std::string_view name) {
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix))
    return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  int64_t step = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
  if (ec != std::errc() || end != digits.data() + digits.size() || step < 0) return std::nullopt;
  return step;
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}
}  // namespace

CheckpointStore::CheckpointStore(fs::path dir, int keep_last) : dir_(std::move(dir)), keep_last_(keep_last) {
  if (keep_last < 1) throw InvalidArgument("checkpoints: keep_last must be >= 1, got " + std::to_string(keep_last));
}

fs::path CheckpointStore::path_for(int64_t step) const {
  return dir_ / (std::string(kPrefix) + std::to_string(step) + std::string(kSuffix));
}

std::vector<int64_t> CheckpointStore::steps() const {
  std::vector<int64_t> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (auto s = step_of(it->path().filename().string())) out.push_back(*s);
  std::sort(out.begin(), out.end());
  return out;
}

CheckpointRef CheckpointStore::save(int64_t step, const NamedTensors& tensors,
                                    const std::map<std::string, std::string>& metadata) {
  if (step < 0) throw InvalidArgument("checkpoints: negative step " + std::to_string(step));
  const fs::path file = path_for(step);
  write_safetensors(file, tensors, metadata);  // atomic, then its manifest
  write_file_atomic(pointer_path(), file.filename().string() + "\n");

  std::vector<int64_t> all = steps();
  std::vector<int64_t> kept;
  for (int64_t s : all)
    if (s <= step) kept.push_back(s);
  auto drop = [&](int64_t s) {
    remove_quietly(path_for(s));
    remove_quietly(manifest_path(path_for(s)));
  };
  for (int64_t s : all)
    if (s > step) drop(s);
  for (size_t i = 0; i + keep_last_ < kept.size(); ++i) drop(kept[i]);
  // Temporaries (".<name>.tmp.<pid>.<n>") are only left behind by a crashed writer.
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") && name.find(".tmp.") != std::string::npos) remove_quietly(it->path());
  }
  return {step, file, {}};
}

std::optional<LoadedCheckpoint> CheckpointStore::load_latest() const {
  std::vector<std::string> skipped;
  std::optional<int64_t> pointed;
  std::error_code ec;
  if (fs::exists(pointer_path(), ec)) {
    std::string text;
    std::string unreadable;
    try {
      if (fs::file_size(pointer_path()) <= 4096) text = read_file(pointer_path());
    } catch (const std::exception& e) {
      unreadable = e.what();
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
    pointed = step_of(text);
    if (!unreadable.empty()) {
      skipped.push_back("pointer 'latest' is unreadable (" + unreadable + ")");
    } else if (!pointed) {
      skipped.push_back("pointer 'latest' is corrupt (names no checkpoint file)");
    }
  } else {
    skipped.push_back("pointer 'latest' is missing");
  }
  std::vector<int64_t> candidates = steps();
  std::reverse(candidates.begin(), candidates.end());  // newest first
  if (pointed) {
    candidates.erase(std::remove(candidates.begin(), candidates.end(), *pointed), candidates.end());
    candidates.insert(candidates.begin(), *pointed);
  }
  for (int64_t s : candidates) {
    const fs::path file = path_for(s);
    try {
      SafetensorsFile f = read_safetensors(file);
      return LoadedCheckpoint{{s, file, skipped}, std::move(f)};
    } catch (const Error& e) {
      skipped.push_back(e.what());
    }
  }
  return std::nullopt;
}

std::optional<CheckpointRef> CheckpointStore::latest() const {
  if (auto c = load_latest()) return c->ref;
  return std::nullopt;
}

}  // namespace omnisparse
