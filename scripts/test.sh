#!/usr/bin/env bash
# Runs the whole test suite (unit tests of every layer, CLI tests, the demo end to end) in ./build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${JOULEVAL_BUILD_DIR:-$root/build}
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
