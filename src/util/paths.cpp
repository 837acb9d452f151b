#include "util/paths.h"

#include <cstdlib>

#include "util/build_info.h"

namespace jouleval::util {

std::filesystem::path share_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("JOULEVAL_SHARE_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path built = build::kBuildShareDir;
  if (fs::is_directory(built, ec)) return built;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "jouleval";
    if (fs::is_directory(installed, ec)) return installed;
  }
  return built;
}

}  // namespace jouleval::util
