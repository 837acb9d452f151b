// Reads that can neither hang nor grow without bound, for every file and command whose name the user
// gives the energy layer (the external meter, the RAPL counters under --rapl-root): a file opened
// without blocking and read with a deadline and a size limit, and a shell command run in its own
// process group with a deadline and a limit on its output (docs/energy.md, "Limits and timeouts").
// No shared state: safe to call from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace jouleval::energy {

struct ReadLimits {
  size_t max_bytes = 64 * 1024;    // more than this is an error, never a longer read
  double timeout_seconds = 10;     // the whole read (opening, waiting for data, the command's run)
  bool regular_file_only = false;  // files: refuse FIFOs and devices (for sysfs counters)
};

// The text read, or why there is none. `error` does not name the file or command: the caller does.
struct BoundedRead {
  bool ok = false;
  std::string text;
  std::string error;
  int error_number = 0;  // errno of a failed open, else 0
};

// Reads `path` to its end. The file is opened non-blocking, so a FIFO without a writer or a device
// with nothing to read waits at most the timeout. Fails when the file cannot be opened, is a
// directory (or not a regular file, with regular_file_only), holds more than max_bytes, or does not
// reach its end before the deadline.
BoundedRead read_file_bounded(const std::filesystem::path& path, const ReadLimits& limits);

// Runs `command` through /bin/sh -c, with standard input from /dev/null and standard error shared,
// in a new process group, and returns its standard output. The reading ends when the shell exits;
// whatever is left of its process group then is killed (SIGKILL). Fails when the shell cannot be
// started, exits non-zero or by a signal, prints more than max_bytes, or runs past the deadline (the
// whole process group is killed in these last two cases). Never leaves a zombie.
BoundedRead run_command_bounded(const std::string& command, const ReadLimits& limits);

// At most `max_chars` of `text`, control and non-ASCII bytes shown as '?', for messages.
std::string printable_excerpt(std::string_view text, size_t max_chars = 80);

// "10 s", "0.5 s": a duration for messages.
std::string seconds_text(double seconds);

}  // namespace jouleval::energy
