// Atomic file writes: write to a temporary file in the same directory, fsync, rename over the
// target, fsync the directory. A reader (or a crash, or kill -9) sees either the old file or
// the complete new one, never a half-written file.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace omnisparse {

// Writes `bytes` to `path` atomically. Creates parent directories. Throws IoError.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Lets `writer` fill a temporary file (a binary ofstream), then renames it into place.
// If `writer` throws, the temporary is removed and `path` is untouched.
void write_file_atomic(const std::filesystem::path& path,
                       const std::function<void(std::ostream&)>& writer);

// Commits a file that a library (HDF5, libsndfile) wrote itself: `write(tmp_path)` writes a
// temporary path next to `path`; on success the temporary is fsynced and renamed into place.
void write_path_atomic(const std::filesystem::path& path,
                       const std::function<void(const std::filesystem::path& tmp)>& write);

// Reads a whole file into a string. Throws IoError naming the file if it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace omnisparse
