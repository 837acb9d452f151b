# shellcheck shell=bash
# Shared by the bench scripts (sourced): where the benchmark data is, and
# how a peer tool runs under `jouleval meter`.

# The benchmark data root: .gpu-data (the copy a GPU call carries) when present, else ../shared/datasets.
bench_data_dir() {
  local root=$1
  if [[ -d $root/.gpu-data ]]; then echo "$root/.gpu-data"; else realpath "$root/../shared/datasets"; fi
}

# Runs a command under `jouleval meter` (no idle baseline, 1 Hz timeline) with a time limit, writing
# OUT.meter.json, OUT.timeline.csv, OUT.stdout and OUT.log. Skipped when OUT.meter.json exists
# (resumable). Returns the command's exit status (0 when skipped).
#   metered JOULEVAL OUT LIMIT_SECONDS COMMAND...
metered() {
  local jv=$1 out=$2 limit=$3
  shift 3
  [[ -s $out.meter.json ]] && return 0
  timeout "$limit" "$jv" meter --json --idle 0 --timeline "$out.timeline.csv" -o "$out.meter.json.tmp" -- "$@" \
    >"$out.stdout" 2>"$out.log"
  local rc=$?
  ((rc == 0)) && mv "$out.meter.json.tmp" "$out.meter.json"
  return $rc
}

# The most choices of any item in a file written by `export-tasks --format llama-mc` (at least 4):
# llama-perplexity's -np must be at least that.
mc_parallel() {
  local np
  np=$(grep -o '"n_choices": *[0-9]*' "$1.items.jsonl" | grep -o '[0-9]*$' | sort -n | tail -1)
  ((np < 4)) && np=4
  echo "$np"
}
