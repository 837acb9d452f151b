#!/usr/bin/env bash
# Runs the whole test suite (unit tests of every layer, CLI tests, the demo end to end) in ./build.
# In CI (CI=true) it builds llama-server for the endpoint tests (JOULEVAL_SERVER_TESTS=0 skips that,
# =1 forces it) and then
#  - builds ./build-asan with AddressSanitizer + UBSan on jouleval's own code and runs the suite again
#    (JOULEVAL_SANITIZE_TESTS=0 skips that, =1 forces it). llama.cpp is compiled there exactly as in
#    ./build, so ccache serves its objects and only jouleval's code is compiled again;
#  - builds the libFuzzer harnesses (./build-fuzz, clang), replays their seed and regression inputs
#    and fuzzes all of them for JOULEVAL_FUZZ_BUDGET seconds in all (default 150), failing on any
#    finding (JOULEVAL_FUZZ_TESTS=0 skips that, =1 forces it; docs/fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${JOULEVAL_BUILD_DIR:-$root/build}
step() { echo "test: $1 took $((SECONDS - t0)) s" && t0=$SECONDS; }
t0=$SECONDS
in_ci() {
  local v=$1
  [[ -n $v ]] || { [[ ${CI:-} == true ]] && v=1 || v=0; }
  [[ $v == 1 ]]
}
# In CI, llama-server is built too: the endpoint tests run against it (docs/endpoint.md).
server_args=()
if in_ci "${JOULEVAL_SERVER_TESTS:-}"; then
  server_args=(-DJOULEVAL_LLAMA_SERVER=ON)
  cmake "$build" "${server_args[@]}" >/dev/null
fi
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
step "the suite in $build"

if in_ci "${JOULEVAL_SANITIZE_TESTS:-}"; then
  echo "test: again under AddressSanitizer and UBSan ($root/build-asan)"
  # The same configuration as scripts/setup.sh (build type, CUDA, extra arguments, compiler launcher),
  # so that llama.cpp's objects come out of the cache.
  launcher=()
  if command -v ccache >/dev/null 2>&1; then
    export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
    -DJOULEVAL_CUDA="${JOULEVAL_CUDA:-OFF}" ${JOULEVAL_CMAKE_ARGS:-} "${server_args[@]}" -DJOULEVAL_SANITIZE=ON >/dev/null
  cmake --build "$root/build-asan" -j "$(nproc)"
  step "building build-asan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j "$(nproc)" "$@"
  step "the suite in build-asan"
fi

if [[ ${JOULEVAL_CUDA:-OFF} == ON ]] && in_ci "${JOULEVAL_FUZZ_TESTS:-}"; then
  echo "test: fuzzing skipped: the fuzz build links the llama.cpp of a CPU build (docs/fuzzing.md)"
elif in_ci "${JOULEVAL_FUZZ_TESTS:-}"; then
  echo "test: fuzzing ($root/build-fuzz)"
  fuzz_status=0
  JOULEVAL_BUILD_DIR=$build "$root/scripts/fuzz.sh" --total "${JOULEVAL_FUZZ_BUDGET:-150}" -j "$(nproc)" ||
    fuzz_status=$?
  step "fuzzing (build, replay, fuzz)"
  exit $fuzz_status
fi
