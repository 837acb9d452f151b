#!/usr/bin/env bash
# Builds jouleval with the CUDA backend on a machine without package registries, from ./gpu-pack
# (made by scripts/pack-gpu.sh). Usage: scripts/build-gpu.sh [BUILD_DIR] (default ./build-gpu in the checkout)
#   JOULEVAL_CUDA_ARCH=90  JOULEVAL_LLAMA_TOOLS=ON (also llama-perplexity, llama-bench, llama-batched-bench,
#   llama-quantize)  JOULEVAL_LLAMA_SERVER=ON (also llama-server, docs/endpoint.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-gpu}
pack=${JOULEVAL_GPU_PACK:-$root/gpu-pack}
src=$build/src
mkdir -p "$src"
if [[ ! -f "$src/llama.cpp/CMakeLists.txt" ]]; then
  tar -xzf "$pack/llama.cpp.tar.gz" -C "$src"
fi
mkdir -p "$root/.deps/js"
cp -n "$pack"/js/*.js "$root/.deps/js/" 2>/dev/null || true
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$root" -B "$build/out" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DJOULEVAL_CUDA=ON -DJOULEVAL_CUDA_ARCH="${JOULEVAL_CUDA_ARCH:-90}" \
  -DJOULEVAL_LLAMA_TOOLS="${JOULEVAL_LLAMA_TOOLS:-OFF}" -DJOULEVAL_LLAMA_SERVER="${JOULEVAL_LLAMA_SERVER:-OFF}" \
  -DJOULEVAL_BUILD_TESTS=OFF \
  -DJOULEVAL_LLAMA_DIR="$src/llama.cpp" -DJOULEVAL_VENDOR_DIR="$pack/vendor"
cmake --build "$build/out" -j "$(nproc)" --target jouleval_cli $([[ "${JOULEVAL_LLAMA_TOOLS:-OFF}" == ON ]] && echo llama_peers) \
  $([[ "${JOULEVAL_LLAMA_SERVER:-OFF}" == ON ]] && echo llama_server_for_tests)
echo "build-gpu: $build/out/bin/jouleval"
