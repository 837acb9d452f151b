// Running a window's requests to an endpoint on several threads: closed-loop (a fixed number of
// requests in flight) or open-loop (each released at its arrival time). Used by EndpointEvaluator;
// a header of its own so that its ordering guarantees are tested without a server.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/requests.h"

namespace jouleval::endpoint {

// Runs `work(i)` for i in [0, n) on up to `concurrency` threads. With `arrivals` empty, a closed
// loop: each thread takes the next item as soon as its last one ends. With `arrivals` (n offsets in
// seconds, ascending) an open loop: item i is released `arrivals[i]` seconds after the start, at most
// `concurrency` items run at once (one released while that many run waits for one to end), and
// (*due)[i] is set to its release time, in seconds of std::chrono::steady_clock since its epoch,
// before work(i) starts; `due` must then not be null.
//
// The first exception (of a work item, or a thread that cannot be started) stops further items from
// starting and is rethrown once the running ones have finished. `progress(done, n)` is called after
// each item that succeeds, under a lock: calls never overlap, `done` counts up by one from call to
// call whichever thread finished, and no call follows a failure. Thread-safe; `work` must be too.
void run_concurrently(int64_t n, int concurrency, const std::function<void(int64_t)>& work,
                      const engine::ProgressFn& progress, const std::vector<double>& arrivals = {},
                      std::vector<double>* due = nullptr);

}  // namespace jouleval::endpoint
