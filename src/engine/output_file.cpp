#include "engine/output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "engine/host.h"
#include "util/atomic_file.h"

namespace jouleval::engine {
namespace {

namespace fs = std::filesystem;

fs::path directory_of(const fs::path& path) {
  const fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Free bytes for an unprivileged writer on the file system of `dir`; -1 when unknown.
int64_t free_bytes(const fs::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

}  // namespace

OutputFile::OutputFile(fs::path path, bool overwrite, std::string force_hint)
    : path_(std::move(path)), overwrite_(overwrite), force_hint_(std::move(force_hint)) {
  if (path_.empty()) throw util::Error("an output path is required", util::ErrorKind::kUsage);
  std::error_code ec;
  // A link to a file is followed: the file it names is the output.
  if (fs::is_symlink(fs::symlink_status(path_, ec))) {
    const fs::path target = fs::weakly_canonical(path_, ec);
    if (!ec) path_ = target;
  }
  const fs::file_status status = fs::status(path_, ec);
  if (fs::exists(status) && !fs::is_directory(status) && !fs::is_regular_file(status)) {
    throw util::Error(fmt::format("{}: exists and is not a regular file; choose another output", path_.string()),
                      util::ErrorKind::kUsage);
  }
  util::check_output_path(path_, overwrite_ ? util::Existing::kReplace : util::Existing::kRefuse, "output",
                          force_hint_);
  const fs::path dir = directory_of(path_);
  // The temporary file: a random name, created exclusively, so that concurrent writers of the same
  // output never share one. Creating it is the writability check.
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(::getpid()));
  for (int attempt = 0;; ++attempt) {
    const fs::path candidate = dir / fmt::format("{}.{:06x}.partial", path_.filename().string(), rng() & 0xFFFFFF);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      temp_ = candidate;
      break;
    }
    const int err = errno;
    if (err == EEXIST && attempt < 100) continue;
    if (err == ENOSPC || err == EDQUOT) {
      throw util::Error(fmt::format("{}: no space left to create the output there", dir.string()),
                        util::ErrorKind::kNoSpace);
    }
    throw util::Error(fmt::format("{}: cannot create the output there: {}", dir.string(), std::strerror(err)),
                      util::ErrorKind::kBadInput);
  }
}

OutputFile::~OutputFile() {
  if (committed_ || temp_.empty()) return;
  std::error_code ec;
  fs::remove(temp_, ec);
}

void OutputFile::require_space(uint64_t bytes) const {
  const int64_t free = free_bytes(directory_of(temp_));
  if (free >= 0 && static_cast<uint64_t>(free) < bytes) {
    throw util::Error(fmt::format("{}: needs {} of disk space, but only {} is free there", path_.string(),
                                  format_bytes(bytes), format_bytes(static_cast<uint64_t>(free))),
                      util::ErrorKind::kNoSpace);
  }
}

bool OutputFile::nearly_full() const {
  constexpr int64_t kSlack = 16 << 20;  // llama.cpp writes in pieces up to a tensor: a few MiB left is "full"
  const int64_t free = free_bytes(directory_of(temp_));
  return free >= 0 && free < kSlack;
}

void OutputFile::commit() {
  // The data reaches the disk before the name does: a crash never leaves a truncated output.
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
      throw util::Error(fmt::format("{}: writing failed: {}", path_.string(), std::strerror(err)),
                        util::write_error_kind(err));
    }
  }
  int rc = 0;
  if (overwrite_) {
    rc = std::rename(temp_.c_str(), path_.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {  // a file system without RENAME_NOREPLACE
      std::error_code ec;
      if (fs::exists(path_, ec)) {
        errno = EEXIST;
      } else {
        rc = std::rename(temp_.c_str(), path_.c_str());
      }
    }
  }
  if (rc != 0) {
    const int err = errno;
    if (err == EEXIST) {
      throw util::Error(
          fmt::format("{}: was created while this one was written; pass {} to replace it", path_.string(), force_hint_),
          util::ErrorKind::kUsage);
    }
    throw util::Error(
        fmt::format("{}: cannot move the finished file into place: {}", path_.string(), std::strerror(err)),
        util::ErrorKind::kFailure);
  }
  committed_ = true;
}

}  // namespace jouleval::engine
