// Output files that are never left half-written: AtomicFile writes to a unique temporary file beside
// the destination and renames it over the destination only when everything was written and synced.
// A failure (or an exception that destroys the AtomicFile) removes the temporary file and leaves an
// existing destination as it was. Every write is checked: a full disk is util::ErrorKind::kNoSpace
// naming the file. A symbolic link is followed (the file it names is replaced, the link stays); an
// existing FIFO or character device (a pipe, /dev/stdout, /dev/null) cannot be replaced and is
// written in place (a FIFO waits at most kFifoReaderWaitSeconds for a reader). Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace jouleval::util {

inline constexpr double kFifoReaderWaitSeconds = 10;

// What to do with a destination that already exists.
enum class Existing {
  kReplace,  // replace it (derived output that can be made again)
  kRefuse,   // refuse (util::Error kUsage naming the file, telling `option` that allows it)
};

// Checks, before any work is done, that `path` can be written: not a directory, its directory exists
// and is writable, and (with kRefuse) it does not exist yet; an existing FIFO or character device
// must be writable. `option` names the command-line option
// for messages ("-o"), `force_option` the one that allows replacing ("--force"). Throws util::Error:
// kUsage for a directory or a refused existing file, kBadInput for a missing or unwritable directory.
void check_output_path(const std::filesystem::path& path, Existing existing, std::string_view option,
                       std::string_view force_option = "--force");

class AtomicFile {
 public:
  // Runs check_output_path, then creates the temporary file. Throws util::Error as it does.
  AtomicFile(std::filesystem::path path, Existing existing, std::string_view option,
             std::string_view force_option = "--force");
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends `data`. Throws util::Error (kNoSpace for a full disk, else kFailure) naming the file.
  void write(std::string_view data);
  // Syncs the data and renames the temporary file over the destination. Throws as write() does.
  void commit();

  const std::filesystem::path& path() const { return path_; }

 private:
  [[noreturn]] void fail(const char* what, int error_number);

  std::filesystem::path path_;    // as given
  std::filesystem::path target_;  // what is written: `path_` with a symbolic link followed
  std::filesystem::path temp_;    // empty when writing a FIFO or device in place
  int fd_ = -1;
  bool committed_ = false;
};

// AtomicFile in one call: writes `data` to `path`.
void write_file_atomically(const std::filesystem::path& path, std::string_view data, Existing existing,
                           std::string_view option, std::string_view force_option = "--force");

}  // namespace jouleval::util
