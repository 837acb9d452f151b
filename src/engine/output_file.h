// A file that the engine writes (quantize, synth, GGUF rewrites) without ever destroying user data
// (docs/engine.md "Output files"): every check runs before any work starts, the data goes to a
// unique temporary file in the output's directory, and only a complete file replaces the output.
// Internal to the engine layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "util/error.h"

namespace jouleval::engine {

class OutputFile {
 public:
  // Checks `path` and creates the temporary file beside it. Throws util::Error naming the path:
  // kUsage when it is empty, a directory or not a regular file, or exists and `overwrite` is false
  // (the message names `force_hint`, e.g. "--force"); kBadInput when its directory is missing or not
  // writable; kUnavailable when the file system has no room for a file.
  OutputFile(std::filesystem::path path, bool overwrite, std::string force_hint = "--force");
  // Removes the temporary file unless commit() succeeded.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Where to write: "<dir>/<name>.<random>.partial", created empty with the default permissions.
  const std::filesystem::path& temp_path() const { return temp_; }

  // Fails (kUnavailable) when the output's file system has fewer than `bytes` bytes free.
  void require_space(uint64_t bytes) const;
  // Whether the output's file system has nearly no room left (after a failed write: "disk full?").
  bool nearly_full() const;

  // Moves the temporary file onto `path`. Without `overwrite` an output that appeared meanwhile is
  // not replaced (kUsage). Throws util::Error naming the path when the rename fails.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_;
  bool overwrite_;
  std::string force_hint_;
  bool committed_ = false;
};

}  // namespace jouleval::engine
