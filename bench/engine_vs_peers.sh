#!/usr/bin/env bash
# Issue 4's measurement in one run on one machine: for each precision of one model, jouleval's
# scoring (engine defaults) and llama.cpp's own tools on the same files and the same items:
#   - llama-bench pp512 / tg128;
#   - MMLU 5-shot and 0-shot: `jouleval run` and `llama-perplexity --multiple-choice`;
#   - HellaSwag: `jouleval run` and `llama-perplexity --hellaswag`;
#   - batched greedy generation: GSM8K 5-shot, 64 prompts (jouleval), against tg128 x 64.
# Every peer runs under `jouleval meter` as a whole process; jouleval's figures are its measurement
# windows (bench/engine_speed.sh, default settings). Resumable: run it again with the same --dir and
# it goes on where it stopped (each step is skipped when its result exists).
#
#   bench/engine_vs_peers.sh --model M.gguf [--model M.Q4_K_M.gguf ...] [--dir DIR] [--data DIR]
#                            [--limit 2000] [--reps 2] [--seconds S] [--placement gpu|cpu]
#   bench/engine_vs_peers.sh --dir DIR --table      # the tables only (also printed after a run)
#
# --model: one file per precision (its results go to DIR/<file stem>), in the order to measure them.
# --seconds S: start no step that might not end within S seconds of the start (a device command's
#          limit; each peer step has a time limit of its own). With $OUT set, DIR is packed into
#          $OUT/engine-vs-peers.tar.gz at the end.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
t0=$(date +%s)
models=()
dir=/tmp/engine-vs-peers
data=""
limit=2000
reps=2
seconds=0
placement=gpu
table_only=0
while (($#)); do
  case $1 in
    --model) models+=("$(realpath "$2")"); shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --placement) placement=$2; shift 2 ;;
    --table) table_only=1; shift ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "engine_vs_peers.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $data ]] || data=$(bench_data_dir "$root")
bin=${JOULEVAL_BIN:-$root/build-gpu/out/bin}
jv=$bin/jouleval
mkdir -p "$dir/tasks"
dir=$(realpath "$dir")
log() { echo "[engine-vs-peers $(date -u +%H:%M:%S) +$(($(date +%s) - t0))s] $*"; }
# Whether a step that may take N seconds (default 0) still fits in --seconds.
time_left() { ((seconds == 0 || $(date +%s) - t0 + ${1:-0} < seconds)); }

pack() {
  [[ -n ${OUT:-} ]] || return 0
  tar -czf "$OUT/engine-vs-peers.tar.gz" -C "$(dirname "$dir")" --exclude='*.tmp' "$(basename "$dir")"
}

table() {
  python3 "$root/bench/engine_vs_peers_table.py" "$dir"
}

if ((table_only)); then table; exit $?; fi
((${#models[@]})) || { echo "engine_vs_peers.sh: --model is required (see --help)" >&2; exit 2; }
trap pack EXIT

# The same items as `jouleval run --limit N`, in llama-perplexity's formats.
for shots in 5 0; do
  f=$dir/tasks/mmlu$shots.bin
  [[ -s $f ]] || "$jv" export-tasks --task mmlu --data "$data" --limit "$limit" --shots $shots --format llama-mc \
    -o "$f" -q || exit 1
done
[[ -s $dir/tasks/hellaswag.txt ]] || "$jv" export-tasks --task hellaswag --data "$data" --limit "$limit" \
  --format llama-hellaswag -o "$dir/tasks/hellaswag.txt" -q || exit 1
n_hs=$(($(wc -l <"$dir/tasks/hellaswag.txt") / 6))

# One peer step: skipped when done, not started when the time is up.
peer() {
  local out=$1 limit=$2
  shift 2
  [[ -s $out.meter.json ]] && return 0
  time_left "$limit" || { log "$(basename "$out"): not started (needs up to $limit s); run again"; return 5; }
  local name rc
  name=$(basename "$out")
  log "$name"
  metered "$jv" "$out" "$limit" "$@"
  rc=$?
  ((rc == 0)) || { log "$name failed (exit $rc)"; tail -5 "$out.log"; }
  return $rc
}

status=0
for model in "${models[@]}"; do
  label=$(basename "${model%.gguf}")
  d=$dir/$label
  mkdir -p "$d"
  echo "$model" >"$d/model.txt"
  peer "$d/llama-bench" 120 "$bin/llama-bench" -m "$model" -ngl 99 -p 512 -n 128 -o json || status=5
  # jouleval with the engine's defaults (its windows exclude load; the peers' processes include it).
  if time_left 60; then
    log "$label: jouleval"
    "$root/bench/engine_speed.sh" --model "$model" --dir "$d/jouleval" --data "$data" --limit "$limit" \
      --placement "$placement" --reps "$reps" --only hs,mmlu5,mmlu0,gsm8k-gen --seconds $((seconds > 0 ? seconds - 60 - ($(date +%s) - t0) : 0)) |
      tail -8
    for setting in hs mmlu5 mmlu0 gsm8k-gen; do [[ -s $d/jouleval/$setting.json ]] || status=5; done
  else
    status=5
  fi
  # CUDA graphs off for --multiple-choice: with them this llama.cpp build aborts on the 5-shot MMLU
  # file at 7B ("CUDA error: an illegal instruction"; docs/benchmarks.md).
  for shots in 5 0; do
    GGML_CUDA_DISABLE_GRAPHS=1 peer "$d/perplexity-mmlu$shots" $((shots ? 300 : 100)) "$bin/llama-perplexity" -m "$model" -ngl 99 \
      -c 2048 -np "$(mc_parallel "$dir/tasks/mmlu$shots.bin")" --multiple-choice -bf "$dir/tasks/mmlu$shots.bin" ||
      status=5
  done
  peer "$d/perplexity-hellaswag" 150 "$bin/llama-perplexity" -m "$model" -ngl 99 -c 2048 --hellaswag \
    --hellaswag-tasks "$n_hs" -f "$dir/tasks/hellaswag.txt" || status=5
done
table
log "end (exit $status)"
exit $status
