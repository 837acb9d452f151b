// The power sampler: a background thread (or explicit calls, in tests) that reads the power of every
// sampled meter at a fixed interval and keeps the timestamped samples for the windows to integrate.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "energy/clock.h"
#include "energy/integrate.h"
#include "energy/meter.h"

namespace jouleval::energy {

class Sampler {
 public:
  // `meters` must outlive the sampler. No thread runs until start().
  Sampler(std::vector<Meter*> meters, Clock& clock);
  ~Sampler();  // stops and joins the thread
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  void start(double interval_seconds);
  void stop();

  // Takes one sample of every sampled meter now (thread-safe; also called at window edges). A failed
  // or impossible reading (negative or non-finite power, a counter that went backwards) is a gap.
  void sample_once();

  // Samples of meter `index` inside [t0, t1] plus the nearest one on each side (for edge interpolation).
  std::vector<TimedWatts> samples_around(size_t index, double t0, double t1) const;
  // Forgets samples before t, keeping the last one before t of each meter.
  void discard_before(double t);
  // The sum of the latest power sample of each sampled meter whose index `include` accepts (all
  // when empty); nullopt before the first sample.
  std::optional<double> live_watts(const std::function<bool(size_t)>& include = {}) const;

 private:
  void run(double interval_seconds);

  struct Derivation {  // last counter reading, for PowerSource::kFromCounter
    bool has = false;
    double t = 0;
    double joules = 0;
    unsigned restarts = 0;
  };

  std::vector<Meter*> meters_;
  Clock& clock_;
  std::mutex read_mu_;  // serialises meter reads
  mutable std::mutex data_mu_;
  std::vector<std::deque<TimedWatts>> samples_;
  std::vector<Derivation> derivations_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jouleval::energy
