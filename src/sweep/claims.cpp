#include "sweep/claims.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <random>

namespace jouleval::sweep {
namespace {

std::string first_line(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string pid_namespace() {
  char buf[128];
  const ssize_t n = ::readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool process_exists(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

store::ClaimOwner this_process() {
  store::ClaimOwner me;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  me.host = fmt::format("{}/{}/{}", host, first_line("/proc/sys/kernel/random/boot_id"), pid_namespace());
  me.pid = static_cast<int64_t>(::getpid());
  std::random_device rd;
  me.owner = fmt::format("{:08x}{:08x}{:08x}-{}", rd(), rd(), rd(), me.pid);
  return me;
}

ClaimKeeper::ClaimKeeper(std::filesystem::path database, double heartbeat_seconds, double stale_seconds)
    : database_(std::move(database)),
      heartbeat_seconds_(heartbeat_seconds),
      stale_seconds_(stale_seconds),
      me_(this_process()),
      thread_([this] { beat(); }) {}

ClaimKeeper::~ClaimKeeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool ClaimKeeper::alive(const store::ClaimHolder& holder) const {
  const bool fresh = holder.heartbeat_age_seconds < stale_seconds_;
  if (holder.owner.host == me_.host) return fresh && process_exists(holder.owner.pid);
  return fresh;
}

std::string ClaimKeeper::describe(const store::ClaimHolder& holder) {
  const std::string& host = holder.owner.host;
  return fmt::format("host {}, process {} (heartbeat {:.0f} s ago)", host.substr(0, host.find('/')), holder.owner.pid,
                     holder.heartbeat_age_seconds);
}

void ClaimKeeper::beat() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::duration<double>(heartbeat_seconds_), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    try {
      store::Store store(database_, {.create = false, .durable = false});
      store.heartbeat(me_.owner);
    } catch (const std::exception&) {
      // A missed beat only makes the claims look older; the next one tries again.
    }
    lock.lock();
  }
}

}  // namespace jouleval::sweep
