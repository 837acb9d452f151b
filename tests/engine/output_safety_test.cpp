// `quantize` and `synth` never destroy user data: an existing output is replaced only with
// `overwrite` (--force) and only by a complete file; a directory is never an output; the output's
// directory is checked before any work; a failed or full-disk write removes only its own temporary
// file. Engine-level checks run in process; the full-disk cases run the jouleval binary under a
// file-size limit.
#include <gtest/gtest.h>

#include <fstream>

#include "engine/limits.h"
#include "engine/quantize.h"
#include "engine/synth.h"
#include "subprocess.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test.
fs::path scratch(const std::string& tag) {
  const fs::path dir = testing::test_model_dir() / ("safety-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// `path` still holds exactly `text` (reports the size instead of the bytes when not).
::testing::AssertionResult holds(const fs::path& path, const std::string& text) {
  const std::string now = testing::file_bytes(path);
  if (now == text) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << path << " was changed: " << now.size() << " bytes, starting '"
                                       << now.substr(0, 8) << "'";
}

template <typename Fn>
util::Error expect_error(Fn&& fn) {
  try {
    fn();
  } catch (const util::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return util::Error("none");
}

TEST(QuantizeOutput, ExistingFileIsKeptWithoutOverwrite) {
  const fs::path dir = scratch("q-existing");
  const fs::path out = dir / "mine.gguf";
  write_text(out, "precious");
  const util::Error e = expect_error([&] { quantize({testing::tiny_model(), out, "int8", 1}); });
  EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  EXPECT_NE(std::string(e.what()).find(out.string() + ": exists; pass --force"), std::string::npos) << e.what();
  EXPECT_TRUE(holds(out, "precious"));
  EXPECT_TRUE(testing::partial_files(dir).empty());

  QuantizeOptions o{testing::tiny_model(), out, "int8", 1};
  o.overwrite = true;
  const QuantizeResult r = quantize(o);
  EXPECT_EQ(fs::file_size(out), r.output_bytes);
  EXPECT_EQ(testing::file_bytes(out).substr(0, 4), std::string("GGUF"));
  EXPECT_TRUE(testing::partial_files(dir).empty());
  fs::remove_all(dir);
}

TEST(QuantizeOutput, DirectoryMissingDirectoryAndUnwritablePlaceAreRefusedBeforeWork) {
  const fs::path dir = scratch("q-dir");
  const fs::path empty_dir = dir / "empty";
  fs::create_directories(empty_dir);
  bool worked = false;
  const auto progress = [&](int64_t, int64_t) { worked = true; };
  QuantizeOptions o{testing::tiny_model(), empty_dir, "int8", 1};
  o.overwrite = true;  // not even --force makes a directory an output
  util::Error e = expect_error([&] { quantize(o, progress); });
  EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  EXPECT_TRUE(fs::is_directory(empty_dir));

  e = expect_error([&] { quantize({testing::tiny_model(), dir / "no" / "such" / "m.gguf", "int8", 1}, progress); });
  EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find((dir / "no" / "such").string() + ": no such directory"), std::string::npos)
      << e.what();

  // /proc takes no new files, not even from root.
  e = expect_error([&] { quantize({testing::tiny_model(), "/proc/jouleval-test.gguf", "int8", 1}, progress); });
  EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
  EXPECT_NE(std::string(e.what()).find("/proc: cannot create the output there"), std::string::npos) << e.what();
  EXPECT_FALSE(worked);
  fs::remove_all(dir);
}

TEST(QuantizeOutput, FailureKeepsTheExistingOutput) {
  // The disk fills up (a file-size limit) while llama.cpp writes: the old file stays as it was,
  // with --force too, and no temporary file is left.
  const fs::path dir = scratch("q-full");
  const fs::path out = dir / "old.gguf";
  write_text(out, "the previous quantization");
  const auto r = testing::run_jouleval_with_file_limit(
      {"quantize", testing::tiny_model().string(), "-o", out.string(), "--type", "int8", "-q", "--force"}, 4096);
  EXPECT_TRUE(r.exited()) << r.describe();
  EXPECT_NE(r.exit_code(), 0) << r.err;
  EXPECT_TRUE(holds(out, "the previous quantization"));
  EXPECT_TRUE(testing::partial_files(dir).empty());
  fs::remove_all(dir);
}

TEST(QuantizeOutput, CommandExitCodes) {
  const fs::path dir = scratch("q-cli");
  const fs::path out = dir / "m.gguf";
  write_text(out, "keep");
  auto r =
      testing::run_jouleval({"quantize", testing::tiny_model().string(), "-o", out.string(), "--type", "int8", "-q"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe() << r.err;
  EXPECT_NE(r.err.find(out.string() + ": exists; pass --force to replace it"), std::string::npos) << r.err;
  EXPECT_TRUE(holds(out, "keep"));
  r = testing::run_jouleval({"quantize", testing::tiny_model().string(), "-o", dir.string(), "--type", "int8", "-q"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe() << r.err;
  EXPECT_TRUE(fs::is_directory(dir));
  r = testing::run_jouleval(
      {"quantize", testing::tiny_model().string(), "-o", out.string(), "--type", "int8", "-q", "--force"});
  EXPECT_EQ(r.exit_code(), 0) << r.describe() << r.err;
  EXPECT_EQ(testing::file_bytes(out).substr(0, 4), std::string("GGUF"));
  fs::remove_all(dir);
}

TEST(SynthOutput, ExistingFileAndDirectoryAreKept) {
  const fs::path dir = scratch("s-existing");
  const fs::path out = dir / "model.gguf";
  write_text(out, "precious");
  SynthOptions o;
  o.output = out;
  util::Error e = expect_error([&] { synthesize(o); });
  EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  EXPECT_NE(std::string(e.what()).find(out.string() + ": exists; pass --force"), std::string::npos) << e.what();
  EXPECT_TRUE(holds(out, "precious"));

  o.output = dir;
  o.overwrite = true;
  e = expect_error([&] { synthesize(o); });
  EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  EXPECT_TRUE(fs::is_directory(dir));

  o.output = out;
  const SynthResult r = synthesize(o);
  EXPECT_EQ(fs::file_size(out), r.file_bytes);
  EXPECT_TRUE(testing::partial_files(dir).empty());
  fs::remove_all(dir);
}

TEST(SynthOutput, FullDiskKeepsTheExistingOutput) {
  const fs::path dir = scratch("s-full");
  const fs::path out = dir / "model.gguf";
  write_text(out, "the previous model");
  // The limit hits the header (the tokenizer's 5 MB) or the tensor data (25 MB in all).
  for (const int blocks : {4096, 24000}) {
    const auto r = testing::run_jouleval_with_file_limit(
        {"synth", "--preset", "tiny", "-o", out.string(), "-q", "--force", "--threads", "1"}, blocks);
    EXPECT_EQ(r.exit_code(), 4) << r.describe() << "\n" << r.err;  // kUnavailable: no room
    EXPECT_NE(r.err.find(out.string() + ": write failed: File too large"), std::string::npos) << r.err;
    EXPECT_TRUE(holds(out, "the previous model"));
    EXPECT_TRUE(testing::partial_files(dir).empty());
  }
  fs::remove_all(dir);
}

TEST(QuantizeAndSynth, ThreadsOutOfRangeAreUsageErrors) {
  const fs::path out = testing::test_model_dir() / ("threads." + std::to_string(::getpid()) + ".gguf");
  for (const int32_t threads : {-1, kMaxThreads + 1}) {
    EXPECT_EQ(expect_error([&] {
                quantize({testing::tiny_model(), out, "int8", threads});
              }).code(),
              util::ErrorKind::kUsage);
    SynthOptions o;
    o.output = out;
    o.threads = threads;
    EXPECT_EQ(expect_error([&] { synthesize(o); }).code(), util::ErrorKind::kUsage);
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(SynthOutput, CommandRefusesAnExistingFileWithoutForce) {
  const fs::path dir = scratch("s-cli");
  const fs::path out = dir / "m.gguf";
  write_text(out, "keep");
  const auto r = testing::run_jouleval({"synth", "--preset", "tiny", "-o", out.string(), "-q"});
  EXPECT_EQ(r.exit_code(), 2) << r.describe() << r.err;
  EXPECT_NE(r.err.find(out.string() + ": exists; pass --force to replace it"), std::string::npos) << r.err;
  EXPECT_TRUE(holds(out, "keep"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace jouleval::engine
