#!/usr/bin/env bash
# The study, reproduced on the GPU machine: models of the study's class at several precisions, five
# benchmarks, GPU and CPU, measured with jouleval, and llama.cpp's own tools on the same model files
# and items as peers. Works in resumable stages, each of which fits a 10-minute command:
#
#   bench/study.sh build models-7b sweep-7b        # first command (the sweep stops at the budget)
#   bench/study.sh sweep-7b peers-7b               # again until both report "complete"
#   bench/study.sh clean-7b models-small sweep-small report
#
# Stages
#   build         CUDA build of jouleval and llama.cpp's tools (llama-perplexity, llama-bench)
#   models-7b     synthetic Qwen2.5-7B-shape model, f16 (or the --model files)
#   sweep-7b      7B-class models x {fp16,int8,int4} x GPU x {mmlu 5-shot, arc_challenge, hellaswag,
#                 truthfulqa_mc1, truthfulqa_mc2, gsm8k 5-shot}
#   peers-7b      llama-bench (pp512, tg128) and llama-perplexity --multiple-choice (MMLU, ARC,
#                 TruthfulQA MC1) / --hellaswag on the same files and items, under `jouleval meter`
#   clean-7b      delete the 7B files (the machine has 64 GiB of disk)
#   models-small  synthetic Qwen2.5-1.5B-shape model, f32
#   sweep-small   1.5B x {fp32,fp16,int8,int4} x GPU x {mmlu 500 5-shot, hellaswag 500, gsm8k 100},
#                 then the platform comparison: the same precisions on CPU and GPU with smaller limits
#   report        report.html, recommend (3 scenarios), export tables
#
# Options
#   --dir DIR       work directory: database, logs, peers, report (default /tmp/study)
#   --data DIR      benchmark data root (default .gpu-data, else ../shared/datasets)
#   --model PATH    a real GGUF model to use instead of the synthetic 7B (repeatable)
#   --restore FILE  a fresh machine: unpack an earlier call's study.tar.gz into --dir, or start from
#                   a saved database (study.db or study.db.xz); the sweeps resume from it
#   --call-seconds  wall seconds this command may use (default 570); sweeps get what is left
#   --smoke         tiny model, CPU, few items: checks the script itself on any machine
#
# Environment
#   PEER_PRECISIONS="fp16 int8 int4"   PEER_TASKS="mmlu arc_challenge truthfulqa_mc1" (HellaSwag always;
#                                      empty: no --multiple-choice runs)
#   PEER_EXTRA_FLAGS="-fa off"         extra flags for llama-bench and llama-perplexity
#   PEER_MC_FLAGS="-fa off"            extra flags for llama-perplexity --multiple-choice only
#   PLATFORM_ITEMS="60 60 10"          platform comparison: MMLU, HellaSwag, GSM8K items
#   PLATFORM_REPS=3                    platform comparison: repetitions
#   STUDY_MODELS=/tmp/study-models     where model files go   EDGE_MEMORY_GB=8   the edge scenario's cap
#
# At the end of every call the database, logs and report are packed into $OUT/study.tar.gz (when
# $OUT is set). Accuracy of synthetic models is chance level (random weights); their time and
# energy are realistic because the shapes are real.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
dir=/tmp/study
data=""
models=()
restore=""
call_seconds=570
smoke=0
stages=()
while (($#)); do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --model) models+=("$(realpath "$2")"); shift 2 ;;
    --restore) restore=$2; shift 2 ;;
    --call-seconds) call_seconds=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h | --help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "study.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) stages+=("$1"); shift ;;
  esac
done
((${#stages[@]})) || { echo "study.sh: no stage given (see --help)" >&2; exit 2; }
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
[[ -n $data ]] || data=$(bench_data_dir "$root")
mkdir -p "$dir"/{configs,logs,peers}
dir=$(realpath "$dir")
if [[ -n $restore ]]; then  # an earlier call's pack, or just its database (study.db[.xz])
  case $restore in
    *.tar.gz) tar -xzf "$restore" -C "$dir" ;;
    *.db.xz) [[ -f $dir/study.db ]] || xz -dc "$restore" >"$dir/study.db" ;;
    *.db) [[ -f $dir/study.db ]] || cp "$restore" "$dir/study.db" ;;
    *) echo "study.sh: --restore takes a .tar.gz, .db.xz or .db file" >&2; exit 2 ;;
  esac
fi
db=$dir/study.db
mdir=${STUDY_MODELS:-/tmp/study-models}
mkdir -p "$mdir"
if ((smoke)); then
  bin=${JOULEVAL_BIN:-$root/build/bin}
else
  bin=${JOULEVAL_BIN:-$root/build-gpu/out/bin}
fi
jv=$bin/jouleval
stamp() { date -u +%H:%M:%S; }
left() { echo $((call_seconds - ($(date +%s) - t0))); }
log() { echo "[study $(stamp) +$(($(date +%s) - t0))s] $*"; }

# Item limits and repetitions. The study budget is about 25 minutes of GPU time; from scratch the whole
# script is estimated at 30-35 minutes on an H100, the sum of its stages' measured times (build ~5,
# 7B sweep ~13, peers ~7, 1.5B ~10 minutes; docs/benchmarks.md).
if ((smoke)); then
  big_models=("$mdir/tiny-f16.gguf"); big_place=cpu; reps=2
  lim_mmlu=12; lim_arc=10; lim_hs=10; lim_tqa=10; lim_gsm=3
  small_model=$mdir/tiny-f32.gguf; small_preset=tiny
  s_mmlu=10; s_hs=10; s_gsm=2; p_mmlu=5; p_hs=5; p_gsm=1; small_reps=2
else
  big_models=("$mdir/qwen2.5-7b-f16.gguf"); big_place=gpu; reps=3
  lim_mmlu=1000; lim_arc=1000; lim_hs=1000; lim_tqa=817; lim_gsm=100
  small_model=$mdir/qwen2.5-1.5b-f32.gguf; small_preset=qwen2.5-1.5b
  s_mmlu=500; s_hs=500; s_gsm=100; p_mmlu=60; p_hs=60; p_gsm=10; small_reps=3
fi
[[ -n ${PLATFORM_ITEMS:-} ]] && read -r p_mmlu p_hs p_gsm <<<"$PLATFORM_ITEMS"
platform_reps=${PLATFORM_REPS:-$small_reps}
((${#models[@]})) && big_models=("${models[@]}")

quoted_list() { local IFS=,; local out=(); for x in "$@"; do out+=("\"$x\""); done; echo "[${out[*]}]"; }

write_big_config() {
  cat >"$dir/configs/7b.toml" <<EOF
# Written by bench/study.sh: the 7B-class part of the study.
[sweep]
database = "$db"
data_dir = "$data"
models = $(quoted_list "${big_models[@]}")
precisions = ["fp16", "int8", "int4"]
placements = ["$big_place"]
tasks = ["mmlu", "arc_challenge", "hellaswag", "truthfulqa_mc1", "truthfulqa_mc2", "gsm8k"]
repetitions = $reps
idle_seconds = 5
timeline = true

[tasks.mmlu]
limit = $lim_mmlu
shots = 5
[tasks.arc_challenge]
limit = $lim_arc
[tasks.hellaswag]
limit = $lim_hs
[tasks.truthfulqa_mc1]
limit = $lim_tqa
[tasks.truthfulqa_mc2]
limit = $lim_tqa
[tasks.gsm8k]
limit = $lim_gsm
shots = 5
EOF
}

# One config of the 1.5B part: NAME COMMENT PLACEMENTS MMLU HELLASWAG GSM8K (item limits) REPS.
write_small_config() {
  cat >"$dir/configs/$1.toml" <<EOF
# Written by bench/study.sh: $2
[sweep]
database = "$db"
data_dir = "$data"
models = ["$small_model"]
precisions = ["fp32", "fp16", "int8", "int4"]
placements = $3
tasks = ["mmlu", "hellaswag", "gsm8k"]
repetitions = $7
idle_seconds = 5
timeline = true

[tasks.mmlu]
limit = $4
shots = 5
[tasks.hellaswag]
limit = $5
[tasks.gsm8k]
limit = $6
shots = 5
EOF
}

write_small_configs() {
  local gpu_place=gpu
  ((smoke)) && gpu_place=cpu
  write_small_config small "a 1.5B-shape model at four precisions on the GPU (the sweep issue's matrix)." \
    "[\"$gpu_place\"]" "$s_mmlu" "$s_hs" "$s_gsm" "$small_reps"
  write_small_config platform "the same model on the host CPU and on the GPU, on the same items (platform
# comparison); smaller limits than small.toml, as the CPU is ~50-100x slower." \
    "[\"cpu\", \"$gpu_place\"]" "$p_mmlu" "$p_hs" "$p_gsm" "$platform_reps"
}

# Runs one sweep config with the time left in this call. Returns 0 when complete, 5 when stopped.
run_sweep() {
  local name=$1 budget
  budget=$(($(left) - 30))
  if ((budget < 60)); then
    log "$name: too little time left in this call ($(left) s); run the stage again"
    return 5
  fi
  local smi_pid=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,power.draw --format=csv,noheader,nounits -lms 1000 \
      >>"$dir/logs/nvidia-smi-1hz.csv" 2>/dev/null &
    smi_pid=$!
  fi
  log "$name: sweep with a budget of $budget s"
  # The budget stops the sweep between repetitions; the timeout (SIGKILL, which the sweep survives
  # by design) guards against a first repetition that runs longer than the call has left.
  timeout --signal=KILL $((budget + 20)) "$jv" sweep --config "$dir/configs/$name.toml" --time-budget "$budget" \
    --json >"$dir/logs/sweep-$name.json" 2>>"$dir/logs/sweep-$name.log"
  local rc=$?
  [[ -n $smi_pid ]] && kill "$smi_pid" 2>/dev/null
  tail -3 "$dir/logs/sweep-$name.log"
  case $rc in
    0) log "$name: complete" ;;
    137) log "$name: killed at the call's limit; run this stage again to resume"; rc=5 ;;
    5) log "$name: stopped at the budget; run this stage again to resume" ;;
    *) log "$name: sweep failed (exit $rc); see $dir/logs/sweep-$name.log" ;;
  esac
  return $rc
}

# One peer tool run under `jouleval meter`; skipped when its result exists (resumable).
peer() {
  local name=$1 limit=$2
  shift 2
  local out=$dir/peers/$name
  [[ -s $out.meter.json ]] && { log "peer $name: done earlier"; return 0; }
  if (($(left) < limit + 20)); then
    log "peer $name: needs up to $limit s, $(left) s left; run the stage again"
    return 5
  fi
  log "peer $name"
  metered "$jv" "$out" "$limit" "$@" || { log "peer $name failed (exit $?):"; tail -5 "$out.log"; }
  return 0
}

quantized_files() {  # the files the 7B sweep used, precision by precision
  local src=$1 stem
  stem=${src%.gguf}
  echo "fp16 $src"
  [[ -f $stem.Q8_0.gguf ]] && echo "int8 $stem.Q8_0.gguf"
  [[ -f $stem.Q4_K_M.gguf ]] && echo "int4 $stem.Q4_K_M.gguf"
}

peers_7b() {
  local llama_flags=(-ngl 99)
  ((smoke)) && llama_flags=(-ngl 0 -t 2)
  # shellcheck disable=SC2206 # extra flags for llama.cpp's tools, split on spaces (e.g. "-fa off")
  llama_flags+=(${PEER_EXTRA_FLAGS:-})
  local tasks_dir=$dir/peers/tasks
  mkdir -p "$tasks_dir"
  # The same items as the sweep, written in llama-perplexity's formats.
  for t in mmlu:$lim_mmlu:5 arc_challenge:$lim_arc:0 truthfulqa_mc1:$lim_tqa:0; do
    IFS=: read -r task limit shots <<<"$t"
    [[ -s $tasks_dir/$task.bin ]] || "$jv" export-tasks --task "$task" --data "$data" --limit "$limit" \
      --shots "$shots" --format llama-mc -o "$tasks_dir/$task.bin" || return 1
  done
  [[ -s $tasks_dir/hellaswag.txt ]] || "$jv" export-tasks --task hellaswag --data "$data" --limit "$lim_hs" \
    --format llama-hellaswag -o "$tasks_dir/hellaswag.txt" || return 1
  local rc=0 src
  for src in "${big_models[@]}"; do
    local base
    base=$(basename "${src%.gguf}")
    while read -r prec file; do
      [[ " ${PEER_PRECISIONS:-fp16 int8 int4} " == *" $prec "* ]] || continue
      local tag=$base.$prec
      peer "$tag.llama-bench" 200 "$bin/llama-bench" -m "$file" -p 512 -n 128 "${llama_flags[@]}" -o json || rc=5
      for task in ${PEER_TASKS-mmlu arc_challenge truthfulqa_mc1}; do
        # -np must be at least the most choices of an item (ARC has 5, TruthfulQA MC1 up to 13).
        local np
        np=$(mc_parallel "$tasks_dir/$task.bin")
        # CUDA graphs off: with them this llama.cpp build aborts ("CUDA error: an illegal instruction")
        # after ~14 s of --multiple-choice on the 5-shot MMLU file at 7B, flash attention on or off.
        # shellcheck disable=SC2086 # PEER_MC_FLAGS: extra flags, split on spaces
        GGML_CUDA_DISABLE_GRAPHS=1 peer "$tag.perplexity-$task" 240 "$bin/llama-perplexity" -m "$file" "${llama_flags[@]}" ${PEER_MC_FLAGS:-} \
          -c 2048 -np "$np" --multiple-choice -bf "$tasks_dir/$task.bin" || rc=5
      done
      local n_hs
      n_hs=$(($(wc -l <"$tasks_dir/hellaswag.txt") / 6))
      peer "$tag.perplexity-hellaswag" 300 "$bin/llama-perplexity" -m "$file" "${llama_flags[@]}" -c 2048 \
        --hellaswag --hellaswag-tasks "$n_hs" -f "$tasks_dir/hellaswag.txt" || rc=5
      ((rc == 5)) && return 5
    done < <(quantized_files "$src")
  done
  return $rc
}

report() {
  "$jv" report "$db" -o "$dir/report.html" 2>&1 | tail -2
  for s in datacenter enterprise edge; do
    local extra=()
    # The edge scenario needs a cap: a device with 8 GB for the model (EDGE_MEMORY_GB).
    [[ $s == edge ]] && extra=(--max-memory-gb "${EDGE_MEMORY_GB:-8}")
    "$jv" recommend "$db" --scenario "$s" "${extra[@]}" >"$dir/recommend-$s.txt" 2>&1
    "$jv" recommend "$db" --scenario "$s" "${extra[@]}" --json >"$dir/recommend-$s.json" 2>/dev/null
    log "recommend $s: exit $?"
  done
  "$jv" export "$db" --format markdown >"$dir/summary.md" 2>"$dir/logs/export.log"
  "$jv" export "$db" --format csv >"$dir/summary.csv" 2>>"$dir/logs/export.log"
  "$jv" export "$db" --format csv --columns cell_id,model,precision,placement,task,seconds,gpu_j,gpu_j_1hz,one_hz_reference,one_hz_error_pct,one_hz_polls \
    >"$dir/one-hz.csv" 2>>"$dir/logs/export.log"
}

pack() {
  [[ -n ${OUT:-} ]] || return 0
  # shellcheck disable=SC2046 # the optional files that exist, by name
  (cd "$dir" && tar -czf "$OUT/study.tar.gz" --exclude='*.tmp' configs logs peers \
    $(ls study.db report.html recommend-* summary.* 2>/dev/null))
  ls -la "$OUT/study.tar.gz"
}
trap pack EXIT

status=0
for stage in "${stages[@]}"; do
  log "== $stage ($(left) s left in this call)"
  case $stage in
    build)
      if [[ -x $bin/jouleval && -x $bin/llama-perplexity ]]; then
        log "already built"
      else
        JOULEVAL_LLAMA_TOOLS=ON "$root/scripts/build-gpu.sh" "$root/build-gpu" >"$dir/logs/build.log" 2>&1 ||
          { tail -30 "$dir/logs/build.log"; exit 1; }
      fi
      "$jv" version | tee "$dir/logs/version.txt"
      nvidia-smi --query-gpu=name,power.limit,clocks.max.sm,driver_version --format=csv >>"$dir/logs/version.txt" 2>&1
      ;;
    models-7b)
      if ((${#models[@]})); then
        log "using the given models: ${models[*]}"
      elif ((smoke)); then
        [[ -f ${big_models[0]} ]] || "$jv" synth --preset tiny --type f16 -q -o "${big_models[0]}"
      else
        [[ -f ${big_models[0]} ]] || "$jv" synth --preset qwen2.5-7b --type f16 -q -o "${big_models[0]}"
      fi
      # The quantized files the sweep uses (made by the sweep's own mechanism), so peers-7b can run
      # after a restore without the sweep.
      write_big_config
      "$jv" sweep --config "$dir/configs/7b.toml" --prepare-models || exit 1
      ls -la "$mdir"
      ;;
    sweep-7b)
      write_big_config
      run_sweep 7b || { status=$?; break; }
      ;;
    peers-7b)
      peers_7b || { status=$?; log "peers-7b: not finished (exit $status)"; break; }
      log "peers-7b: complete"
      ;;
    clean-7b)
      ((${#models[@]})) && { log "keeping the given models"; continue; }
      rm -f "$mdir"/qwen2.5-7b-f16*.gguf* "$mdir"/tiny-f16*.gguf*
      df -h "$mdir" | tail -1
      ;;
    models-small)
      [[ -f $small_model ]] || "$jv" synth --preset "$small_preset" --type f32 -q -o "$small_model"
      ls -la "$mdir"
      ;;
    sweep-small)
      write_small_configs
      run_sweep small || { status=$?; break; }
      run_sweep platform || { status=$?; break; }
      ;;
    report) report ;;
    *) echo "study.sh: unknown stage $stage (see --help)" >&2; exit 2 ;;
  esac
done
log "end (exit $status)"
exit $status
