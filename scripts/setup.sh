#!/usr/bin/env bash
# One command that sets everything up on Debian 12: installs the Debian packages jouleval needs,
# fetches the pinned llama.cpp (from the npm package node-llama-cpp) and the report's charting
# libraries (npm), then configures and builds jouleval in ./build (CPU backend).
#
#   scripts/setup.sh                 # CPU build in ./build
#   JOULEVAL_CUDA=ON scripts/setup.sh   # also the CUDA backend (needs the CUDA toolkit)
#   JOULEVAL_BUILD_DIR=out scripts/setup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${JOULEVAL_BUILD_DIR:-$root/build}

packages=(build-essential cmake ninja-build git ca-certificates openssl
  libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev libsqlite3-dev sqlite3 libssl-dev
  libcpp-httplib-dev pkg-config
  libgtest-dev libgmock-dev chromium ccache clang-14 libclang-rt-14-dev texlive-latex-base texlive-latex-recommended poppler-utils
  slurm-wlm munge)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches llama.cpp's source: Debian's nodejs/npm unless a node toolchain is already installed.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$root/scripts/fetch-deps.sh"

# ccache: the sanitizer build of scripts/test.sh compiles llama.cpp with the same flags, so it
# takes llama.cpp's objects from the cache and compiles only jouleval's own code again.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DJOULEVAL_CUDA="${JOULEVAL_CUDA:-OFF}" ${JOULEVAL_CMAKE_ARGS:-}
cmake --build "$build" -j "$(nproc)"
echo "setup: done. The program is $build/bin/jouleval; try: $build/bin/jouleval demo"
