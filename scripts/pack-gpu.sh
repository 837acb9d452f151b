#!/usr/bin/env bash
# Packs what a jouleval build needs on a machine that reaches no package registry (the lent GPU
# machine: CUDA, gcc, CMake, ninja, but no Debian -dev packages and no npm) into ./gpu-pack
# (ignored by git, well under 40 MiB), to travel with the working tree:
#   gpu-pack/llama.cpp.tar.gz   llama.cpp source (pruned: no .git, other GPU backends, docs, tests,
#                               models except the three vocab files jouleval uses)
#   gpu-pack/vendor/include     CLI11, nlohmann/json, toml++, fmt (header-only), sqlite3.h
#   gpu-pack/vendor/lib         libsqlite3.a, libcrypto.a (model file hashes)
#   gpu-pack/js                 the report's charting libraries
# Build there with scripts/build-gpu.sh (docs/gpu.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/gpu-pack"
"$root/scripts/fetch-deps.sh" >/dev/null
rm -rf "$out" && mkdir -p "$out/vendor/include" "$out/vendor/lib" "$out/js"

llama="$root/.deps/llama.cpp"
tar -C "$(dirname "$llama")" -cf "$out/llama.cpp.tar" \
  --exclude='llama.cpp/.git' --exclude='llama.cpp/docs' --exclude='llama.cpp/media' \
  --exclude='llama.cpp/tests' --exclude='llama.cpp/examples' --exclude='llama.cpp/benches' \
  --exclude='llama.cpp/gguf-py' --exclude='llama.cpp/conversion' --exclude='llama.cpp/tools/ui/tests' \
  --exclude='llama.cpp/.github' --exclude='llama.cpp/.devops' \
  --exclude='llama.cpp/ggml/src/ggml-'{vulkan,sycl,opencl,hexagon,metal,et,webgpu,openvino,cann,virtgpu,musa,hip,zdnn,zendnn} \
  --exclude='llama.cpp/models/*' \
  llama.cpp
tar -C "$(dirname "$llama")" -rf "$out/llama.cpp.tar" llama.cpp/models/ggml-vocab-{qwen2,llama-bpe,llama-spm}.gguf
gzip -f "$out/llama.cpp.tar"

cp -r /usr/include/CLI /usr/include/nlohmann /usr/include/toml++ /usr/include/fmt "$out/vendor/include/"
cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h "$out/vendor/include/"
cp /usr/lib/x86_64-linux-gnu/libsqlite3.a /usr/lib/x86_64-linux-gnu/libcrypto.a "$out/vendor/lib/"
cp -r /usr/include/openssl "$out/vendor/include/"
cp -r /usr/include/x86_64-linux-gnu/openssl/* "$out/vendor/include/openssl/"
cp "$root"/.deps/js/*.js "$out/js/" 2>/dev/null || true
du -sh "$out"
