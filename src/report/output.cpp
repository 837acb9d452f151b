#include "report/output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/atomic_file.h"
#include "util/error.h"

namespace jouleval::report {
namespace {

namespace fs = std::filesystem;

// An existing FIFO or character device (following symbolic links, as /dev/stdout is one).
bool is_stream(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  return !ec && (st.type() == fs::file_type::fifo || st.type() == fs::file_type::character);
}

// The file to write: a symbolic link is followed, so that the file it names is replaced and the
// link stays (util::AtomicFile renames over the path it is given).
fs::path destination(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
  fs::path target = fs::canonical(path, ec);
  return ec ? path : target;
}

[[noreturn]] void fail(const fs::path& path, const char* what, int error_number) {
  throw util::Error(fmt::format("{}: {}: {}", path.string(), what, std::strerror(error_number)),
                    util::write_error_kind(error_number));
}

}  // namespace

void check_output(const fs::path& path, std::string_view option) {
  if (!is_stream(path)) {
    util::check_output_path(destination(path), util::Existing::kReplace, option);
    return;
  }
  if (::access(path.c_str(), W_OK) != 0)
    throw util::Error(fmt::format("{} {}: cannot write: {}", option, path.string(), std::strerror(errno)),
                      util::ErrorKind::kBadInput);
}

void write_output(const fs::path& path, std::string_view text, std::string_view option) {
  if (!is_stream(path)) {
    util::write_file_atomically(destination(path), text, util::Existing::kReplace, option);
    return;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open", errno);
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      fail(path, "cannot write", e);
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0 && errno != EINTR) fail(path, "cannot write", errno);
}

}  // namespace jouleval::report
