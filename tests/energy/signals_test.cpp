// Stop signals reach the measured command (energy/child_process.h): forwarded to its process group,
// or to it alone when it shares jouleval's; ignored signals stay ignored; handlers are restored.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "energy/child_process.h"
#include "test_support.h"

namespace jouleval::energy {
namespace {

using testing::process_gone;
using testing::TempDir;
using testing::wait_for_line;

// Sends `sig` to this process once `ready` holds a line (the child is running).
std::thread signal_when_ready(const std::filesystem::path& ready, int sig) {
  return std::thread([ready, sig] {
    if (!wait_for_line(ready).empty()) kill(getpid(), sig);
  });
}

TEST(energy_signals, StopSignalReachesTheChildsWholeProcessGroup) {
  TempDir d;
  const auto bg = d.path() / "bg.pid";
  StopSignals stop;
  ChildProcess child({"sh", "-c", fmt::format("sleep 30 & echo $! > {}; wait", bg.string())},
                     ChildProcess::Group::kOwn);
  std::thread sender = signal_when_ready(bg, SIGTERM);
  EXPECT_EQ(child.wait(stop), 128 + SIGTERM);
  sender.join();
  EXPECT_EQ(stop.received(), SIGTERM);
  const int pid = std::stoi(testing::read_text(bg));
  for (int i = 0; i < 100 && !process_gone(pid); ++i) usleep(10000);
  EXPECT_TRUE(process_gone(pid)) << "the command's background process survived";
}

TEST(energy_signals, SignalSentToJoulevalReachesAChildSharingItsGroup) {
  TempDir d;
  const auto ready = d.path() / "ready";
  StopSignals stop;
  ChildProcess child({"sh", "-c", fmt::format("echo $$ > {}; exec sleep 30", ready.string())},
                     ChildProcess::Group::kShared);
  std::thread sender = signal_when_ready(ready, SIGHUP);
  EXPECT_EQ(child.wait(stop), 128 + SIGHUP);
  sender.join();
  EXPECT_EQ(stop.received(), SIGHUP);
}

TEST(energy_signals, IgnoredSignalStaysIgnoredAndHandlersAreRestored) {
  struct sigaction ignore {
  }, before{}, after{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGHUP, &ignore, &before);
  struct sigaction term_before {};
  sigaction(SIGTERM, nullptr, &term_before);
  {
    StopSignals stop;
    EXPECT_THROW(StopSignals second, std::runtime_error);
    kill(getpid(), SIGHUP);
    EXPECT_EQ(stop.received(), 0);
    // The child inherits the ignored SIGHUP (as under nohup), and SIGTERM has its default action.
    ChildProcess ignoring({"sh", "-c", "kill -HUP $$; exit 3"});
    EXPECT_EQ(ignoring.wait(stop), 3);
    ChildProcess terminated({"sh", "-c", "kill -TERM $$; exit 3"});
    EXPECT_EQ(terminated.wait(stop), 128 + SIGTERM);
    EXPECT_EQ(stop.received(), 0);  // the children's own signals never reached jouleval
  }
  sigaction(SIGHUP, nullptr, &after);
  EXPECT_EQ(after.sa_handler, SIG_IGN);
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, term_before.sa_handler);
  sigaction(SIGHUP, &before, nullptr);
}

TEST(energy_signals, Names) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(signal_name(SIGUSR1), fmt::format("signal {}", SIGUSR1));
}

}  // namespace
}  // namespace jouleval::energy
