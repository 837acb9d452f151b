// Reads of user-named files and commands never hang and never grow without bound
// (energy/bounded_io.h): size limits, timeouts, FIFOs, process groups.
#include "energy/bounded_io.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_support.h"

namespace jouleval::energy {
namespace {

using testing::process_gone;
using testing::seconds_since;
using testing::TempDir;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

ReadLimits with_timeout(double seconds) {
  ReadLimits l;
  l.timeout_seconds = seconds;
  return l;
}

TEST(energy_bounded_io, DeviceWithoutEndIsCutAtTheSizeLimit) {
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r = read_file_bounded("/dev/zero", with_timeout(5));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "more than 65536 bytes")) << r.error;
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST(energy_bounded_io, FifoWithoutWriterTimesOut) {
  TempDir d;
  const auto fifo = d.path() / "joules.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r = read_file_bounded(fifo, with_timeout(0.3));
  const double took = seconds_since(start);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "no writer within 0.3 s")) << r.error;
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 3.0);
}

TEST(energy_bounded_io, FifoDeliversWhatItsWriterWrote) {
  TempDir d;
  const auto fifo = d.path() / "joules.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(fifo) << "1234.5 J\n";
  });
  BoundedRead r = read_file_bounded(fifo, with_timeout(5));
  writer.join();
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.text, "1234.5 J\n");
}

TEST(energy_bounded_io, RegularFileOnlyRefusesFifosAndDirectoriesAtOnce) {
  TempDir d;
  const auto fifo = d.path() / "energy_uj";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ReadLimits l = with_timeout(5);
  l.regular_file_only = true;
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r = read_file_bounded(fifo, l);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "not a regular file");
  EXPECT_LT(seconds_since(start), 1.0);
  BoundedRead dir = read_file_bounded(d.path(), l);
  EXPECT_FALSE(dir.ok);
  EXPECT_EQ(dir.error, "is a directory");
  BoundedRead missing = read_file_bounded(d.path() / "missing", l);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error_number, ENOENT);
}

TEST(energy_bounded_io, CommandPastTheTimeoutIsKilledWithItsWholeProcessGroup) {
  TempDir d;
  const auto bg = d.path() / "bg.pid";
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r =
      run_command_bounded(fmt::format("sleep 30 & echo $! > {}; sleep 30; echo 5", bg.string()), with_timeout(0.5));
  const double took = seconds_since(start);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "did not finish within 0.5 s")) << r.error;
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5.0);
  const std::string pid = testing::read_text(bg);
  ASSERT_FALSE(pid.empty());
  // The background sleep of the command's group was killed too (it may linger as a zombie).
  for (int i = 0; i < 100 && !process_gone(std::stoi(pid)); ++i) usleep(10000);
  EXPECT_TRUE(process_gone(std::stoi(pid))) << pid;
}

TEST(energy_bounded_io, CommandOutputIsCutAtTheSizeLimit) {
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r = run_command_bounded("yes 123", with_timeout(10));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.error, "printed more than 65536 bytes")) << r.error;
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(energy_bounded_io, ReadingEndsWhenTheShellExitsThoughABackgroundProcessHoldsItsOutput) {
  TempDir d;
  const auto bg = d.path() / "bg.pid";
  const auto start = std::chrono::steady_clock::now();
  BoundedRead r = run_command_bounded(fmt::format("sleep 30 & echo $! > {}; echo 42", bg.string()), with_timeout(10));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.text, "42\n");
  EXPECT_LT(seconds_since(start), 5.0);
  const std::string pid = testing::read_text(bg);
  ASSERT_FALSE(pid.empty());
  for (int i = 0; i < 100 && !process_gone(std::stoi(pid)); ++i) usleep(10000);
  EXPECT_TRUE(process_gone(std::stoi(pid))) << pid;
}

TEST(energy_bounded_io, CommandStatusAndStandardInput) {
  BoundedRead failed = run_command_bounded("echo 5; exit 3", with_timeout(10));
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.error, "exited with status 3");
  BoundedRead killed = run_command_bounded("kill -9 $$", with_timeout(10));
  EXPECT_FALSE(killed.ok);
  EXPECT_EQ(killed.error, "ended by signal 9");
  // Standard input is /dev/null: a command reading it ends at once instead of waiting for a terminal.
  const auto start = std::chrono::steady_clock::now();
  BoundedRead cat = run_command_bounded("cat; echo 7", with_timeout(5));
  EXPECT_TRUE(cat.ok) << cat.error;
  EXPECT_EQ(cat.text, "7\n");
  EXPECT_LT(seconds_since(start), 2.0);
}

TEST(energy_bounded_io, PrintableExcerptHidesControlBytes) {
  EXPECT_EQ(printable_excerpt(std::string("a\0b\n\x7f\xff", 6)), "a?b???");
  EXPECT_EQ(printable_excerpt("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace jouleval::energy
