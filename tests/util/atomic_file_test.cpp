#include "util/atomic_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/stat.h>

#include "util/error.h"

namespace jouleval::util {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jouleval-atomic-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  size_t entries() const { return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {})); }
  fs::path dir_;
};

TEST_F(AtomicFileTest, ReplacesTheDestinationOnlyWhenComplete) {
  std::ofstream(dir_ / "out.txt") << "old";
  {
    AtomicFile f(dir_ / "out.txt", Existing::kReplace, "-o");
    f.write("new ");
    EXPECT_EQ(read(dir_ / "out.txt"), "old");  // not yet
    f.write("content");
    f.commit();
  }
  EXPECT_EQ(read(dir_ / "out.txt"), "new content");
  EXPECT_EQ(entries(), 1u) << "the temporary file is gone";
}

TEST_F(AtomicFileTest, AnAbandonedFileLeavesTheDestinationAsItWas) {
  std::ofstream(dir_ / "out.txt") << "old";
  {
    AtomicFile f(dir_ / "out.txt", Existing::kReplace, "-o");
    f.write("half of it");
  }  // an exception on the way: never committed
  EXPECT_EQ(read(dir_ / "out.txt"), "old");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, RefusesWhatItMustNotReplace) {
  std::ofstream(dir_ / "kept.txt") << "user data";
  try {
    AtomicFile f(dir_ / "kept.txt", Existing::kRefuse, "-o", "--force");
    FAIL() << "replaced an existing file without --force";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(dir_ / "kept.txt"), "user data");
  fs::create_directory(dir_ / "sub");
  EXPECT_THROW(AtomicFile(dir_ / "sub", Existing::kReplace, "-o"), Error);
  try {
    check_output_path(dir_ / "missing" / "out.txt", Existing::kReplace, "--timeline");
    FAIL() << "accepted a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("--timeline"), std::string::npos) << e.what();
  }
}

// A symbolic link is followed: the file it names gets the new content and the link stays a link.
// A character device or FIFO is written in place, never replaced (renaming over /dev/stdout would
// replace the system's link with a file).
TEST_F(AtomicFileTest, LinksAreFollowedAndDevicesWrittenInPlace) {
  std::ofstream(dir_ / "real.txt") << "old";
  fs::create_symlink(dir_ / "real.txt", dir_ / "link.txt");
  write_file_atomically(dir_ / "link.txt", "new", Existing::kReplace, "-o");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link.txt"));
  EXPECT_EQ(read(dir_ / "real.txt"), "new");

  fs::create_symlink("/dev/null", dir_ / "null");
  write_file_atomically(dir_ / "null", "discarded", Existing::kRefuse, "-o");
  EXPECT_TRUE(fs::is_symlink(dir_ / "null"));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));

  ASSERT_EQ(::mkfifo((dir_ / "pipe").c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read(dir_ / "pipe"); });
  write_file_atomically(dir_ / "pipe", "through the pipe", Existing::kReplace, "-o");
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  EXPECT_EQ(fs::status(dir_ / "pipe").type(), fs::file_type::fifo);
}

// A full disk (here a file size limit: writes fail with EFBIG) is kNoSpace naming the file, and
// nothing is left behind: the destination keeps its old content, no temporary file remains.
TEST_F(AtomicFileTest, AFullDiskIsNoSpaceAndLeavesNothingHalfWritten) {
  std::ofstream(dir_ / "out.txt") << "old";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      4096, 4096
    };
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
      AtomicFile f(dir_ / "out.txt", Existing::kReplace, "-o");
      f.write(std::string(100000, 'x'));
      f.commit();
    } catch (const Error& e) {
      const bool names_file = std::string(e.what()).find("out.txt") != std::string::npos;
      _exit(e.kind() == ErrorKind::kNoSpace && names_file ? 42 : 43);
    }
    _exit(44);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42) << "43: wrong kind or message, 44: the write did not fail";
  EXPECT_EQ(read(dir_ / "out.txt"), "old");
  EXPECT_EQ(entries(), 1u);
}

}  // namespace
}  // namespace jouleval::util
