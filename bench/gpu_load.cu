// A steady GPU load for validating `jouleval meter` on real hardware: repeated FMA kernels over a
// large buffer for N seconds, then cudaDeviceSynchronize. Not built in CI (needs a driver).
//
//   nvcc -O2 -arch=sm_90 -o /tmp/gpu_load bench/gpu_load.cu
//   jouleval meter --idle 5 -- /tmp/gpu_load 10        # expect ~10 s at a steady, high GPU power
//
// Usage: gpu_load [SECONDS=10] [MEGABYTES=1024]
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#define CHECK(call)                                                                       \
  do {                                                                                    \
    cudaError_t err_ = (call);                                                            \
    if (err_ != cudaSuccess) {                                                            \
      std::fprintf(stderr, "gpu_load: %s failed: %s\n", #call, cudaGetErrorString(err_)); \
      std::exit(1);                                                                       \
    }                                                                                     \
  } while (0)

// Each thread runs a chain of dependent FMAs on its element: compute-bound, steady power.
__global__ void fma_kernel(float* data, size_t n, int iterations) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    float x = data[i];
    const float a = 0.999999f, b = 1e-7f;
    for (int k = 0; k < iterations; ++k) x = fmaf(x, a, b);
    data[i] = x;
  }
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  const size_t megabytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  const size_t n = megabytes * 1024 * 1024 / sizeof(float);
  float* data = nullptr;
  CHECK(cudaMalloc(&data, n * sizeof(float)));
  CHECK(cudaMemset(data, 0, n * sizeof(float)));
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int threads = 256, blocks = sms * 8;

  const auto start = std::chrono::steady_clock::now();
  long launches = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (int j = 0; j < 8; ++j, ++launches) fma_kernel<<<blocks, threads>>>(data, n, 256);
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());  // keeps the queue short so the run ends on time
  }
  CHECK(cudaDeviceSynchronize());
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("gpu_load: %ld kernel launches over %.2f s on %d SMs (%zu MB buffer)\n", launches, elapsed, sms,
              megabytes);
  CHECK(cudaFree(data));
  return 0;
}
