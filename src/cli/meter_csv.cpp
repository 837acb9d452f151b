#include "cli/meter_csv.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace jouleval::cli {

namespace {

// Far longer than the header: a first line longer than this is another file's.
constexpr size_t kMaxHeaderBytes = 4096;

[[noreturn]] void fail(const std::string& path, const char* what, int error_number,
                       util::ErrorKind kind = util::ErrorKind::kFailure) {
  throw util::Error(fmt::format("{}: cannot {}: {} (for --csv)", path, what, std::strerror(error_number)), kind);
}

// Reads up to `n` bytes at `offset` (fewer at the end of the file).
std::string read_at(int fd, off_t offset, size_t n, const std::string& path) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, offset + static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, "read", errno);
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

// The checks of an existing, open regular file of `size` bytes (see check_meter_csv).
void check_contents(int fd, off_t size, const std::string& path) {
  if (size == 0) return;
  const std::string head = read_at(fd, 0, kMaxHeaderBytes, path);
  const std::string first = head.substr(0, head.find('\n'));
  if (first != meter_csv_header()) {
    throw util::Error(fmt::format("{}:1: not the header of jouleval meter's CSV (expected '{}'); rows are "
                                  "appended only under the same columns: name another file (for --csv)",
                                  path, meter_csv_header()),
                      util::ErrorKind::kBadInput);
  }
  if (read_at(fd, size - 1, 1, path) != "\n") {
    throw util::Error(fmt::format("{}: does not end with a newline (a cut-off row?); rows are not appended to "
                                  "it (for --csv)",
                                  path),
                      util::ErrorKind::kBadInput);
  }
}

void require_regular(const struct stat& st, const std::string& path) {
  if (!S_ISREG(st.st_mode)) {
    throw util::Error(fmt::format("{}: not a regular file; rows are appended to a file (for --csv)", path),
                      util::ErrorKind::kUsage);
  }
}

}  // namespace

const std::string& meter_csv_header() {
  static const std::string header =
      "time_utc,host,command,repetition,exit_code,stopped_by,elapsed_s,user_s,sys_s,max_rss_kib,"
      "gpu_j,gpu_active_j,cpu_j,cpu_active_j,dram_j,dram_active_j,external_j,external_active_j,"
      "unavailable_meters,estimated_cpu_j,estimate_tdp_w,estimate_cores";
  return header;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void check_meter_csv(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) fail(path, "stat", errno, util::ErrorKind::kBadInput);
    util::check_output_path(path, util::Existing::kReplace, "--csv");  // a new file: its directory
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    throw util::Error(fmt::format("{}: is a directory (for --csv)", path), util::ErrorKind::kUsage);
  }
  require_regular(st, path);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(path, "open", errno, util::ErrorKind::kBadInput);
  if (::access(path.c_str(), W_OK) != 0) fail(path, "write", errno, util::ErrorKind::kBadInput);
  check_contents(fd.get(), st.st_size, path);
}

void append_meter_csv(const std::string& path, std::string_view rows) {
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail(path, "open", errno);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) fail(path, "lock", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, "stat", errno);
  require_regular(st, path);
  check_contents(fd.get(), st.st_size, path);
  std::string data;
  if (st.st_size == 0) data = meter_csv_header() + "\n";
  data.append(rows);
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      const int ignored = ::ftruncate(fd.get(), st.st_size);  // no partial row stays
      (void)ignored;
      throw util::Error(fmt::format("{}: cannot write: {} (for --csv)", path, std::strerror(e)),
                        util::write_error_kind(e));
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace jouleval::cli
