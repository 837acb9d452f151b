#include "util/file_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace jouleval::util {

namespace {

// Opens (creating) a lock file that every user may lock: read-write, else read-only (flock works on
// either).
int open_lock_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0) {
    ::fchmod(fd, 0666);  // best effort: another user's process may need to open it too
    return fd;
  }
  if (errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd;
}

}  // namespace

std::filesystem::path measurement_lock_path() {
  if (const char* env = std::getenv("JOULEVAL_MEASURE_LOCK"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  return (ec ? std::filesystem::path("/tmp") : dir) / "jouleval-measure.lock";
}

std::filesystem::path measurement_gpu_lock_path(const std::string& pci_bus_id) {
  return measurement_lock_path().string() + ".gpu-" + pci_bus_id;
}

bool FileLock::held_elsewhere(const std::filesystem::path& path, LockMode mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const int op = mode == LockMode::kShared ? LOCK_SH : LOCK_EX;
  const bool held = ::flock(fd, op | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock, if it was taken
  return held;
}

FileLock::FileLock(const std::filesystem::path& path, const std::function<void()>& on_wait, LockMode mode) {
  const int op = mode == LockMode::kShared ? LOCK_SH : LOCK_EX;
  fd_ = open_lock_file(path);
  if (fd_ < 0) {
    throw Error(fmt::format("{}: cannot create a lock file: {}", path.string(), std::strerror(errno)),
                errno == ENOSPC ? ErrorKind::kNoSpace : ErrorKind::kBadInput);
  }
  if (::flock(fd_, op | LOCK_NB) == 0) return;
  if (on_wait) on_wait();
  while (::flock(fd_, op) != 0) {
    if (errno == EINTR) continue;
    const int e = errno;
    ::close(fd_);
    throw Error(fmt::format("{}: cannot lock: {}", path.string(), std::strerror(e)));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace jouleval::util
