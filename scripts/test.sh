#!/usr/bin/env bash
# Runs the whole test suite (unit tests of every layer, CLI tests, the demo end to end) in ./build.
# In CI (CI=true) it then builds ./build-asan with AddressSanitizer + UBSan and runs the suite again
# (JOULEVAL_SANITIZE_TESTS=0 skips that, =1 forces it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${JOULEVAL_BUILD_DIR:-$root/build}
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"

sanitize=${JOULEVAL_SANITIZE_TESTS:-}
[[ -n $sanitize ]] || { [[ ${CI:-} == true ]] && sanitize=1 || sanitize=0; }
if [[ $sanitize == 1 ]]; then
  echo "test: again under AddressSanitizer and UBSan ($root/build-asan)"
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOULEVAL_SANITIZE=ON >/dev/null
  cmake --build "$root/build-asan" -j "$(nproc)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j "$(nproc)" "$@"
fi
