#!/usr/bin/env bash
# Fetches the pinned third-party sources into .deps/ (ignored by git):
#   .deps/llama.cpp  — llama.cpp, from the npm package node-llama-cpp (integrity-checked git bundle)
#   .deps/js         — charting libraries for the HTML report (see deps.lock / report)
# npm never runs the package's install scripts here: `npm pack` only downloads the tarball.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
source <(grep -E '^[A-Z_]+=' "$root/deps.lock")
deps="$root/.deps"
mkdir -p "$deps/npm"

verify_integrity() { # file expected-sri
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  if [[ "$got" != "$2" ]]; then
    echo "fetch-deps: integrity mismatch for $1" >&2
    echo "  expected $2" >&2
    echo "  got      $got" >&2
    exit 1
  fi
}

npm_fetch() { # name version integrity -> prints tarball path
  local name=$1 version=$2 integrity=$3
  local tgz="$deps/npm/${name//@/}-$version.tgz"
  tgz=${tgz//\//_}; tgz="$deps/npm/$(basename "$tgz")"
  if [[ ! -f "$tgz" ]]; then
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --ignore-scripts --silent "$name@$version" >/dev/null)
    mv "$tmp"/*.tgz "$tgz"
    rm -rf "$tmp"
  fi
  verify_integrity "$tgz" "$integrity"
  echo "$tgz"
}

# --- llama.cpp ---------------------------------------------------------------
llama="$deps/llama.cpp"
if [[ -f "$llama/.jouleval-revision" ]] && grep -q "$LLAMA_CPP_COMMIT" "$llama/.jouleval-revision"; then
  echo "fetch-deps: llama.cpp $LLAMA_CPP_TAG ($LLAMA_CPP_COMMIT) already in $llama"
else
  echo "fetch-deps: node-llama-cpp@$NODE_LLAMA_CPP_VERSION from npm"
  tgz=$(npm_fetch node-llama-cpp "$NODE_LLAMA_CPP_VERSION" "$NODE_LLAMA_CPP_INTEGRITY")
  tmp=$(mktemp -d)
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$llama"
  git -c advice.detachedHead=false clone -q "$tmp/package/llama/gitRelease.bundle" "$llama"
  rm -rf "$tmp"
  head=$(git -C "$llama" rev-parse HEAD)
  if [[ "$head" != "$LLAMA_CPP_COMMIT" ]]; then
    echo "fetch-deps: bundle holds $head, deps.lock expects $LLAMA_CPP_COMMIT" >&2
    exit 1
  fi
  printf '%s %s node-llama-cpp@%s\n' "$LLAMA_CPP_TAG" "$LLAMA_CPP_COMMIT" "$NODE_LLAMA_CPP_VERSION" >"$llama/.jouleval-revision"
  echo "fetch-deps: llama.cpp $LLAMA_CPP_TAG ($LLAMA_CPP_COMMIT) -> $llama"
fi

# --- JavaScript for the HTML report (optional section, pinned in deps.lock) ---
if grep -q '^JS_PACKAGES=' "$root/deps.lock"; then
  mkdir -p "$deps/js"
  # JS_PACKAGES is a space-separated list of name@version#integrity#path-in-package
  for spec in $JS_PACKAGES; do
    IFS='#' read -r nv integrity inner <<<"$spec"
    name=${nv%@*}; version=${nv##*@}
    out="$deps/js/$(basename "$inner")"
    if [[ ! -f "$out" ]]; then
      tgz=$(npm_fetch "$name" "$version" "$integrity")
      tar -xzf "$tgz" -O "package/$inner" >"$out"
      echo "fetch-deps: $name@$version -> $out"
    fi
  done
fi
