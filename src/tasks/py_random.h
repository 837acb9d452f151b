// A re-implementation of CPython's random.Random (MT19937, integer seeding, getrandbits, randbelow
// and sample), so that few-shot draws equal lm-eval's `random.Random(1234).sample(docs, k)`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace jouleval::tasks {

class PyRandom {
 public:
  // random.Random(seed) for a non-negative integer seed (init_by_array over its 32-bit words).
  explicit PyRandom(uint64_t seed);

  uint32_t next_uint32();          // genrand_uint32
  uint32_t getrandbits(int k);     // k in [0, 32]
  uint64_t randbelow(uint64_t n);  // uniform in [0, n) by rejection on getrandbits(n.bit_length()); n < 2^32

  // Indices of random.sample(range(n), k), in draw order (CPython's set- or pool-based algorithm,
  // chosen exactly as CPython does). Requires k <= n.
  std::vector<size_t> sample_indices(size_t n, size_t k);

 private:
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);

  std::array<uint32_t, 624> mt_{};
  int mti_ = 625;
};

}  // namespace jouleval::tasks
