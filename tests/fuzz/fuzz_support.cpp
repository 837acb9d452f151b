#include "fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

namespace jouleval::fuzz {
namespace {

class ScratchDir {
 public:
  // In memory (/dev/shm) where there is one: creating and writing a file on a disk can cost
  // milliseconds, which would slow the file-reading harnesses a hundredfold.
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    for (std::string base : {std::string("/dev/shm"), std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp")}) {
      std::string pattern = base + "/jouleval-fuzz-XXXXXX";
      if (mkdtemp(pattern.data()) != nullptr) {
        dir_ = pattern;
        return;
      }
    }
    finding("cannot create a scratch directory (harness setup)");
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace

void finding(std::string_view what) {
  std::fprintf(stderr, "jouleval fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

void expect_clean(const std::function<void()>& fn, util::ErrorKind code, std::string_view input_name) {
  try {
    fn();
  } catch (const util::Error& e) {
    const std::string_view message = e.what();
    if (e.code() != code) {
      finding(std::string("util::Error with exit code ") + std::to_string(static_cast<int>(e.code())) + " (expected " +
              std::to_string(static_cast<int>(code)) + "): " + e.what());
    }
    if (message.find(input_name) == std::string_view::npos) {
      finding(std::string("rejection does not name the input '") + std::string(input_name) + "': " + e.what());
    }
  } catch (const std::exception& e) {
    finding(std::string("uncaught ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    finding("uncaught exception of a type not derived from std::exception");
  }
}

std::filesystem::path write_scratch(const uint8_t* data, size_t size, std::string_view file_name) {
  static ScratchDir scratch;
  std::filesystem::path path = scratch.dir() / std::string(file_name);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) finding("cannot write the scratch file (harness setup)");
  if (size > 0 && std::fwrite(data, 1, size, f) != size) finding("short write of the scratch file (harness setup)");
  std::fclose(f);
  return path;
}

}  // namespace jouleval::fuzz
