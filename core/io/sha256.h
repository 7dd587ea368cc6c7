// SHA-256 of bytes and of files (OpenSSL's libcrypto underneath), as lowercase hex.
// Files are hashed in 1 MiB pieces, so hashing a large file never loads it whole.
//
//   std::string h = sha256_file("model.safetensors");   // "9f86d081..." (64 hex chars)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace omnisparse {

std::string sha256_hex(std::string_view bytes);

// Throws IoError naming the file if it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace omnisparse
