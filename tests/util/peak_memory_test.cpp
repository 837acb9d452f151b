// The peak resident memory of a window of work (util/peak_memory.h): VmHWM parsing, the reset of
// the high-water mark when the window opens, and no number when it cannot be reset.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "util/peak_memory.h"

namespace jouleval::util {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "jouleval-peak-XXXXXX").string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

TEST(PeakMemory, ParsesVmHwmInKibibytes) {
  const fs::path dir = temp_dir();
  std::ofstream(dir / "status") << "Name:\tjouleval\nVmPeak:\t  900 kB\nVmHWM:\t  409600 kB\nVmRSS:\t 1 kB\n";
  EXPECT_EQ(read_vm_hwm(dir / "status"), 409600ull * 1024);
  std::ofstream(dir / "status") << "Name:\tjouleval\nVmHWM:\t  lots kB\n";
  EXPECT_FALSE(read_vm_hwm(dir / "status"));
  std::ofstream(dir / "status") << "Name:\tjouleval\n";
  EXPECT_FALSE(read_vm_hwm(dir / "status"));
  EXPECT_FALSE(read_vm_hwm(dir / "missing"));
  fs::remove_all(dir);
}

// Without a clear_refs file the high-water mark cannot be reset: no number, even though VmHWM reads
// (it would be the peak of everything the process did before).
TEST(PeakMemory, NoResetNoNumber) {
  const fs::path dir = temp_dir();
  std::ofstream(dir / "status") << "VmHWM:\t  2048 kB\n";
  EXPECT_FALSE(PeakRssWindow(dir).peak_bytes());
  EXPECT_FALSE(fs::exists(dir / "clear_refs"));  // never created
  std::ofstream(dir / "clear_refs");
  const PeakRssWindow window(dir);
  EXPECT_EQ(window.peak_bytes(), 2048ull * 1024);
  std::ifstream in(dir / "clear_refs");
  std::string written;
  in >> written;
  EXPECT_EQ(written, "5");  // resets the high-water mark only (not the referenced bits)
  fs::remove_all(dir);
}

// On Linux the window's peak covers memory touched inside it, and a new window forgets an earlier,
// larger peak.
TEST(PeakMemory, RealProcessPeakIsResetPerWindow) {
  if (!fs::exists("/proc/self/clear_refs")) GTEST_SKIP() << "no /proc/self/clear_refs";
  const size_t big = 256u << 20;
  uint64_t first = 0;
  {
    const PeakRssWindow window;
    std::vector<char> buffer(big, 1);  // touched: resident
    const auto peak = window.peak_bytes();
    ASSERT_TRUE(peak);
    EXPECT_GE(*peak, big);
    first = *peak;
    EXPECT_EQ(buffer[big - 1], 1);
  }
  const PeakRssWindow window;
  const auto peak = window.peak_bytes();
  ASSERT_TRUE(peak);
  EXPECT_LT(*peak + big / 2, first);
}

}  // namespace
}  // namespace jouleval::util
