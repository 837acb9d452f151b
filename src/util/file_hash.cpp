#include "util/file_hash.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <vector>

#include "util/atomic_file.h"
#include "util/error.h"

namespace jouleval::util {
namespace {

// Size, modification time and inode: a file replaced by another (even of the same size, or renamed
// over it) gets another stamp.
std::string cache_stamp(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  return fmt::format("{} {}.{:09} {}", static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                     static_cast<long>(st.st_mtim.tv_nsec), static_cast<unsigned long long>(st.st_ino));
}

}  // namespace

std::string sha256_file(const std::filesystem::path& file, bool use_cache) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw Error(fmt::format("{}: no such file", file.string()), ErrorKind::kBadInput);
  const std::filesystem::path sidecar = file.string() + ".sha256";
  const std::string stamp = cache_stamp(file);
  if (use_cache) {
    std::ifstream in(sidecar);
    std::string hash, line;
    if (in >> hash && std::getline(in >> std::ws, line) && line == stamp && hash.size() == 64) return hash;
  }

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw Error("SHA-256 unavailable in libcrypto");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading", file.string()), ErrorKind::kBadInput);
  std::vector<char> buffer(8 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(fmt::format("{}: read error", file.string()), ErrorKind::kBadInput);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", digest[i]);

  if (use_cache && !stamp.empty()) {
    try {
      write_file_atomically(sidecar, fmt::format("{}\n{}\n", hex, stamp), Existing::kReplace, "hash cache");
    } catch (const Error&) {
      // best effort: a read-only model directory just means no cache
    }
  }
  return hex;
}

}  // namespace jouleval::util
