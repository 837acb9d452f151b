#include "energy/sampler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace jouleval::energy {

Sampler::Sampler(std::vector<Meter*> meters, Clock& clock)
    : meters_(std::move(meters)), clock_(clock), samples_(meters_.size()), derivations_(meters_.size()) {}

Sampler::~Sampler() { stop(); }

void Sampler::start(double interval_seconds) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval_seconds] { run(interval_seconds); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sampler::run(double interval_seconds) {
  const auto interval = std::chrono::duration<double>(interval_seconds);
  auto next = std::chrono::steady_clock::now();
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    lock.unlock();
    sample_once();
    lock.lock();
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // fell behind: do not burst to catch up
    stop_cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

void Sampler::sample_once() {
  std::lock_guard read_lock(read_mu_);
  for (size_t i = 0; i < meters_.size(); ++i) {
    Meter* m = meters_[i];
    if (!m->status().available) continue;
    switch (m->power_source()) {
      case PowerSource::kNone:
        break;
      case PowerSource::kInstant: {
        const double t = clock_.now();
        Reading r = m->power_watts();
        // A missed sample is a gap, never a zero; so is an impossible one (negative, NaN, infinite).
        if (!r.value || !std::isfinite(*r.value) || *r.value < 0) break;
        std::lock_guard lock(data_mu_);
        samples_[i].push_back({t, *r.value});
        break;
      }
      case PowerSource::kFromCounter: {
        const double t = clock_.now();
        Reading r = m->energy_joules();
        if (!r.value) break;
        Derivation& d = derivations_[i];
        // Across a counter restart or a backwards step the power is unknown: a gap.
        if (d.has && t > d.t && d.restarts == r.restarts && *r.value >= d.joules) {
          std::lock_guard lock(data_mu_);
          samples_[i].push_back({(t + d.t) / 2, (*r.value - d.joules) / (t - d.t)});
        }
        d = {true, t, *r.value, r.restarts};
        break;
      }
    }
  }
}

std::vector<TimedWatts> Sampler::samples_around(size_t index, double t0, double t1) const {
  std::lock_guard lock(data_mu_);
  const auto& s = samples_.at(index);
  std::vector<TimedWatts> out;
  const TimedWatts* before = nullptr;
  for (const auto& x : s) {
    if (x.t < t0) {
      before = &x;
    } else if (x.t <= t1) {
      if (before != nullptr) {
        out.push_back(*before);
        before = nullptr;
      }
      out.push_back(x);
    } else {
      if (before != nullptr) {
        out.push_back(*before);
        before = nullptr;
      }
      out.push_back(x);
      break;
    }
  }
  if (before != nullptr) out.push_back(*before);
  return out;
}

void Sampler::discard_before(double t) {
  std::lock_guard lock(data_mu_);
  for (auto& s : samples_) {
    while (s.size() >= 2 && s[1].t < t) s.pop_front();
  }
}

std::optional<double> Sampler::live_watts(const std::function<bool(size_t)>& include) const {
  std::lock_guard lock(data_mu_);
  std::optional<double> total;
  for (size_t i = 0; i < samples_.size(); ++i) {
    if (!samples_[i].empty() && (!include || include(i))) total = total.value_or(0.0) + samples_[i].back().watts;
  }
  return total;
}

}  // namespace jouleval::energy
