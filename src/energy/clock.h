// The time source of the energy layer, injectable so that tests run on a manual clock instead of
// sleeping: seconds on a monotonic scale, and a way to wait.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>

namespace jouleval::energy {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now() = 0;  // seconds, monotonic, arbitrary origin
  virtual void sleep_for(double seconds) = 0;
};

// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  double now() override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  void sleep_for(double seconds) override {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
};

// A clock that only moves when told to (sleep_for advances it at once). For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double start = 0.0) : t_(start) {}
  double now() override {
    std::lock_guard lock(mu_);
    return t_;
  }
  void sleep_for(double seconds) override { advance(seconds); }
  void advance(double seconds) {
    std::lock_guard lock(mu_);
    t_ += seconds;
  }
  void set(double t) {
    std::lock_guard lock(mu_);
    t_ = t;
  }

 private:
  std::mutex mu_;
  double t_;
};

}  // namespace jouleval::energy
