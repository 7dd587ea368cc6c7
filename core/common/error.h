// Typed errors thrown by core. Library code never calls exit() or abort(): it throws one of
// these, and the CLI prints `what()` as one line and exits non-zero; the GUI shows it.
//
// Messages are written for the user: they name the file (when there is one) and the cause,
// and where possible say how to fix it, e.g.
//   FormatError("data/a.flac", "not a FLAC or WAV file (libsndfile: unknown format)")
//   -> "data/a.flac: not a FLAC or WAV file (libsndfile: unknown format)"
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace omnisparse {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Something about a file: missing, unreadable, unwritable. path() is the file.
class IoError : public Error {
 public:
  IoError(const std::filesystem::path& path, const std::string& cause)
      : Error(path.string() + ": " + cause), path_(path), cause_(cause) {}
  const std::filesystem::path& path() const { return path_; }
  const std::string& cause() const { return cause_; }

 private:
  std::filesystem::path path_;
  std::string cause_;
};

// The file is there but its content is wrong: corrupt, truncated, wrong format, bad values.
class FormatError : public IoError {
 public:
  using IoError::IoError;
};

// A configuration value is unknown, missing or impossible. The message names the key.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A requested device (CUDA, an audio input) is not available.
class DeviceError : public Error {
 public:
  using Error::Error;
};

// The caller asked for something that cannot be done with the given inputs
// (e.g. a size budget that no sub-network meets, a layer the model does not have).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace omnisparse
