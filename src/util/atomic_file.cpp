#include "util/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "util/error.h"

namespace jouleval::util {
namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

}  // namespace

void check_output_path(const fs::path& path, Existing existing, std::string_view option,
                       std::string_view force_option) {
  if (path.empty()) throw Error(fmt::format("{}: no file name given", option), ErrorKind::kUsage);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error(fmt::format("{} {}: is a directory; name a file", option, path.string()), ErrorKind::kUsage);
  }
  if (existing == Existing::kRefuse && fs::exists(fs::symlink_status(path, ec))) {
    throw Error(fmt::format("{} {}: the file exists; use {} to replace it", option, path.string(), force_option),
                ErrorKind::kUsage);
  }
  const fs::path dir = directory_of(path);
  if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("{} {}: the directory {} does not exist", option, path.string(), dir.string()),
                ErrorKind::kBadInput);
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw Error(fmt::format("{} {}: cannot write in {}: {}", option, path.string(), dir.string(), std::strerror(errno)),
                ErrorKind::kBadInput);
  }
}

AtomicFile::AtomicFile(fs::path path, Existing existing, std::string_view option, std::string_view force_option)
    : path_(std::move(path)) {
  check_output_path(path_, existing, option, force_option);
  std::random_device rd;
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    temp_ = directory_of(path_) /
            fmt::format(".{}.tmp-{}-{:08x}", path_.filename().string(), static_cast<long>(::getpid()), rd());
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
  if (::fsync(fd_) != 0) fail("cannot write", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot write", errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) fail("cannot rename the finished temporary file over it", errno);
  committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view data, Existing existing, std::string_view option,
                           std::string_view force_option) {
  AtomicFile file(path, existing, option, force_option);
  file.write(data);
  file.commit();
}

}  // namespace jouleval::util
