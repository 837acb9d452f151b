// Claims of cells for one process (docs/store.md "Claims"): who this process is, whether another
// claim's holder is still alive, and a heartbeat thread that keeps this process's claims fresh so
// that processes on other hosts sharing the database see it alive.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"

namespace jouleval::sweep {

// This process as a claim owner: a random owner id, the host (hostname, boot id and PID namespace:
// process ids are comparable only within one) and the process id.
store::ClaimOwner this_process();

class ClaimKeeper {
 public:
  // Starts a thread that refreshes this process's claims in `database` every `heartbeat_seconds`
  // (on its own connection). A holder on another host is dead once its heartbeat is older than
  // `stale_seconds`; on this host, as soon as its process is gone.
  ClaimKeeper(std::filesystem::path database, double heartbeat_seconds, double stale_seconds);
  ~ClaimKeeper();  // stops the heartbeat thread
  ClaimKeeper(const ClaimKeeper&) = delete;
  ClaimKeeper& operator=(const ClaimKeeper&) = delete;

  const store::ClaimOwner& me() const { return me_; }
  bool alive(const store::ClaimHolder& holder) const;
  // "host H, process P (heartbeat 3 s ago)" for messages.
  static std::string describe(const store::ClaimHolder& holder);

 private:
  void beat();

  std::filesystem::path database_;
  double heartbeat_seconds_;
  double stale_seconds_;
  store::ClaimOwner me_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace jouleval::sweep
