#include "util/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "util/error.h"

namespace jouleval::util {
namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

// The file an output path names: a symbolic link is followed, so that the file it names is replaced
// and the link stays (a link that leads nowhere is replaced itself).
fs::path target_of(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
  const fs::path target = fs::weakly_canonical(path, ec);
  return ec ? path : target;
}

// An existing FIFO or character device: written in place, never replaced.
bool is_stream(const fs::path& path) {
  std::error_code ec;
  const fs::file_type type = fs::status(path, ec).type();
  return !ec && (type == fs::file_type::fifo || type == fs::file_type::character);
}

}  // namespace

void check_output_path(const fs::path& given, Existing existing, std::string_view option,
                       std::string_view force_option) {
  if (given.empty()) throw Error(fmt::format("{}: no file name given", option), ErrorKind::kUsage);
  if (is_stream(given)) {
    if (::access(given.c_str(), W_OK) != 0)
      throw Error(fmt::format("{}: cannot write ({}): {}", given.string(), option, std::strerror(errno)),
                  ErrorKind::kBadInput);
    return;
  }
  const fs::path path = target_of(given);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error(fmt::format("{}: is a directory; {} needs a file name", path.string(), option), ErrorKind::kUsage);
  }
  if (existing == Existing::kRefuse && fs::exists(fs::symlink_status(path, ec))) {
    throw Error(fmt::format("{}: exists; pass {} to replace it ({})", path.string(), force_option, option),
                ErrorKind::kUsage);
  }
  const fs::path dir = directory_of(path);
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("{}: no such directory (for {} {})", dir.string(), option, path.string()),
                ErrorKind::kBadInput);
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw Error(fmt::format("{}: cannot write there (for {} {}): {}", dir.string(), option, path.string(),
                            std::strerror(errno)),
                ErrorKind::kBadInput);
  }
}

AtomicFile::AtomicFile(fs::path path, Existing existing, std::string_view option, std::string_view force_option)
    : path_(std::move(path)), target_(target_of(path_)) {
  check_output_path(path_, existing, option, force_option);
  if (is_stream(path_)) {
    // A FIFO opens for writing only once a reader has it open: wait for one, a bounded time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kFifoReaderWaitSeconds);
    while ((fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
      if (errno != ENXIO || std::chrono::steady_clock::now() > deadline) {
        if (errno == ENXIO)
          throw Error(fmt::format("{}: no process opened the FIFO for reading within {:g} s", path_.string(),
                                  kFifoReaderWaitSeconds),
                      ErrorKind::kBadInput);
        fail("cannot open", errno);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    return;
  }
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    temp_ = directory_of(target_) /
            fmt::format(".{}.tmp-{}-{:08x}", target_.filename().string(), static_cast<long>(::getpid()), rd());
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) fail("cannot create a temporary file beside it", errno);
  }
  if (fd_ < 0) fail("cannot create a temporary file beside it", EEXIST);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::fail(const char* what, int error_number) {
  throw Error(fmt::format("{}: {}: {}", path_.string(), what, std::strerror(error_number)),
              write_error_kind(error_number));
}

void AtomicFile::write(std::string_view data) {
  if (fd_ < 0) throw Error(fmt::format("{}: written after commit", path_.string()));
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) throw Error(fmt::format("{}: committed twice", path_.string()));
  if (temp_.empty()) {  // a FIFO or device, written in place
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 && errno != EINTR) fail("cannot write", errno);
    committed_ = true;
    return;
  }
  if (::fsync(fd_) != 0) fail("cannot write", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("cannot write", errno);
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot rename the finished temporary file over it", errno);
  committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view data, Existing existing, std::string_view option,
                           std::string_view force_option) {
  AtomicFile file(path, existing, option, force_option);
  file.write(data);
  file.commit();
}

}  // namespace jouleval::util
