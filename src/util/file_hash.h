// SHA-256 of a file (hex), streamed in chunks, with a sidecar cache "<file>.sha256" keyed by the
// file's size and modification time so multi-gigabyte models are hashed once.
#pragma once

#include <filesystem>
#include <string>

namespace jouleval::util {

// Throws util::Error (kBadInput) naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file, bool use_cache = true);

}  // namespace jouleval::util
