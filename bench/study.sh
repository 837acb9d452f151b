#!/usr/bin/env bash
# The one benchmark driver of jouleval (docs/benchmarks.md): models at several precisions measured with
# jouleval, llama.cpp's own tools on the same model files, items and shapes as peers, and the tables
# of docs/benchmarks.md, in named stages. Resumable: a stage that finished is skipped when the driver
# runs again with the same --dir (--redo runs it again); a stage stopped at the time budget goes on
# where it stopped.
#
#   bench/study.sh [options]                       # every stage, in order
#   bench/study.sh --stages peers,tables           # some stages (always in the order below)
#   bench/study.sh --smoke                         # every stage on the tiny synthetic model, CPU, samples
#
# Stages (in this order)
#   build       (always runs) the jouleval binary runs; `version` and the GPU's facts into logs/.
#               With gpu-pack/ in the checkout and no binary yet: scripts/build-gpu.sh with
#               llama.cpp's tools (build-gpu/)
#   data        the benchmark data answers every task (`sweep --dry-run` of the study's config)
#   models      (always runs) synthetic models (`jouleval synth --preset P`), or the --model files
#   quantize    (always runs) the files of the other precisions (`sweep --prepare-models`: Q8_0...)
#   speed       engine settings (lanes, batch sizes, sequences) on HellaSwag, MMLU and GSM8K
#   peers       llama-bench; llama-perplexity --multiple-choice (MMLU 5-shot) and --hellaswag on the
#               items jouleval scores; jouleval's GSM8K and llama-batched-bench at its shape (the same
#               mean prompt tokens, generated tokens per sequence and sequences; from `jouleval export`)
#   sweep       the study matrix: models x precisions x placements x tasks, repetitions, idle baseline
#   tables      bench/tables.py: Markdown tables from `jouleval export` and the peers' meter reports
#   report      report.html, recommendations (datacenter, enterprise, edge), summary.csv
#
# Options
#   --stages A,B        stages to run (default: all)      --redo   run the selected stages again
#   --dir DIR           work directory (default: study-out in the current directory)
#   --jouleval PATH     the jouleval binary (else $JOULEVAL, else the one the build stage made for this
#                       --dir, else build/bin/jouleval of this checkout); llama.cpp's tools are looked
#                       for beside it (or in --llama-bin DIR / $LLAMA_BIN_DIR)
#   --data DIR          benchmark data (else $JOULEVAL_DATA_DIR; --smoke: jouleval's built-in samples)
#   --model PATH        a GGUF model to use instead of the synthetic one (repeatable)
#   --preset P          synthetic model preset (default qwen2.5-7b; --smoke: tiny)
#   --precisions LIST   default fp16,int8,int4          --placements LIST   default gpu (--smoke: cpu); a
#                       comma before a digit belongs to the placement: gpu,gpus:0,1 is gpu and gpus:0,1
#   --tasks LIST        sweep tasks (default mmlu,arc_challenge,hellaswag,truthfulqa_mc1,truthfulqa_mc2,gsm8k)
#   --limit N           items per scoring task (default 1000)   --gen-limit N   GSM8K prompts (default 256)
#   --reps N            repetitions (default 3)
#   --fewshot-sampler S lm-eval (default: each task's lm-evaluation-harness sampler) or first_n (every
#                       question gets the pool's first examples: one shared preamble, evaluated once
#                       by the generation engine; the peers then also run with it shared, -pps)
#   --sweep-gpus LIST   the sweep stage as one `jouleval sweep` per entry, each seeing only its GPUs
#                       (CUDA_VISIBLE_DEVICES; '+' joins GPUs of one entry: 0,1,2,3 or 0+1,2+3), all on
#                       the same database: they share out the cells (claims) and measure side by side
#                       (per-GPU measurement locks). Placements then name the entry's GPUs (gpu, gpus:0)
#   --speed-settings L  settings of the speed stage, or "all" (default hs,mmlu5,mmlu0,gsm8k-gen)
#   --seconds S         wall seconds this invocation may use (default: no limit); nothing is started
#                       that may not end within them, the sweep gets what is left. Exit 5: run again.
#   --restore FILE      unpack an earlier invocation's study.tar.gz into DIR first (a fresh machine)
#   --smoke             tiny model, CPU, built-in samples, few items: the whole pipeline in ~2 minutes
#
# Peers: each runs under `jouleval meter` with a time limit. A peer whose tool is not built is
# "unavailable: <tool> not built" (not an error); a peer that fails is "failed (exit N)" in the
# tables, and the driver goes on with the next one. Its status is in DIR/peers/NAME.status.
#
# Exit status: 0 every selected stage complete (peers complete or unavailable); 1 a stage failed or a
# peer failed (the first failed stage stops the driver; peers do not); 2 usage; 3 a --restore file
# that cannot be unpacked; 5 stopped at the time budget (run the same command again). With $OUT set,
# DIR (without models) is packed into $OUT/study.tar.gz at the end.
# shellcheck disable=SC2317 # the stages are called indirectly, as "stage_$stage"
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
me=study.sh
t0=$(date +%s)
all_stages=(build data models quantize speed peers sweep tables report)
stages_arg=""
redo=0
dir=study-out
jv_arg=${JOULEVAL:-}
llama_bin=${LLAMA_BIN_DIR:-}
data=${JOULEVAL_DATA_DIR:-}
models=()
preset=""
precisions=fp16,int8,int4
placements=""
tasks=mmlu,arc_challenge,hellaswag,truthfulqa_mc1,truthfulqa_mc2,gsm8k
limit=""
gen_limit=""
reps=""
speed_settings=hs,mmlu5,mmlu0,gsm8k-gen
sweep_gpus=""
fewshot_sampler=lm-eval
seconds=0
restore=""
smoke=0
usage() { echo "$me: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n $2 ]] || usage "$1 needs a value (see --help)"; }
while (($#)); do
  case $1 in
    --stages) need "$@"; stages_arg=$2; shift 2 ;;
    --redo) redo=1; shift ;;
    --dir) need "$@"; dir=$2; shift 2 ;;
    --jouleval) need "$@"; jv_arg=$2; shift 2 ;;
    --llama-bin) need "$@"; llama_bin=$2; shift 2 ;;
    --data) need "$@"; data=$2; shift 2 ;;
    --model) need "$@"; [[ -f $2 ]] || usage "--model $2: no such file"; models+=("$(realpath "$2")"); shift 2 ;;
    --preset) need "$@"; preset=$2; shift 2 ;;
    --precisions) need "$@"; precisions=$2; shift 2 ;;
    --placements) need "$@"; placements=$2; shift 2 ;;
    --tasks) need "$@"; tasks=$2; shift 2 ;;
    --limit) need "$@"; limit=$2; shift 2 ;;
    --gen-limit) need "$@"; gen_limit=$2; shift 2 ;;
    --reps) need "$@"; reps=$2; shift 2 ;;
    --fewshot-sampler) need "$@"; [[ $2 == lm-eval || $2 == first_n ]] || usage "--fewshot-sampler: expected lm-eval or first_n, got '$2'"; fewshot_sampler=$2; shift 2 ;;
    --speed-settings) need "$@"; speed_settings=$2; shift 2 ;;
    --sweep-gpus) need "$@"; [[ $2 =~ ^[A-Za-z0-9-]+([+,][A-Za-z0-9-]+)*$ ]] || usage "--sweep-gpus: expected GPU indices or UUIDs separated by ',' (one sweep each) and '+' (GPUs of one sweep), got '$2'"; sweep_gpus=$2; shift 2 ;;
    --seconds) need "$@"; seconds=$2; shift 2 ;;
    --restore) need "$@"; [[ -f $2 ]] || usage "--restore $2: no such file"; restore=$(realpath "$2"); shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ && !/shellcheck/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) usage "unknown argument $1 (see --help)" ;;
  esac
done
for n in "$seconds" "${limit:-1}" "${gen_limit:-1}" "${reps:-1}"; do
  [[ $n =~ ^[0-9]+$ ]] || usage "expected a whole number, got '$n' (see --help)"
done
stages=()
if [[ -z $stages_arg ]]; then
  stages=("${all_stages[@]}")
else
  IFS=, read -r -a wanted <<<"$stages_arg"
  for w in "${wanted[@]}"; do
    [[ " ${all_stages[*]} " == *" $w "* ]] || usage "--stages: unknown stage '$w' (stages: ${all_stages[*]})"
  done
  for s in "${all_stages[@]}"; do [[ ",$stages_arg," == *",$s,"* ]] && stages+=("$s"); done
fi

# Settings: the study's, or the smoke test's (small enough for a 2-core CI machine).
if ((smoke)); then
  : "${preset:=tiny}" "${placements:=cpu}" "${limit:=6}" "${gen_limit:=2}" "${reps:=1}"
  tasks=mmlu,hellaswag,gsm8k
  shot_preset=demo  # GSM8K answers of at most 32 tokens
  bench_pp=32 bench_tg=8 threads=(-t 2) ngl=0
else
  : "${preset:=qwen2.5-7b}" "${placements:=gpu}" "${limit:=1000}" "${gen_limit:=256}" "${reps:=3}"
  shot_preset=lm-eval
  bench_pp=512 bench_tg=128 threads=() ngl=99
fi

mkdir -p "$dir"/{configs,logs,peers,speed,models,stages} || exit 1
dir=$(realpath "$dir")
# A fresh machine: an earlier invocation's $OUT/study.tar.gz unpacked into DIR; its finished stages
# and databases resume (build, models and quantize always run; sweep cells resume per machine,
# docs/gpu.md).
if [[ -n $restore ]]; then
  tar -xzf "$restore" -C "$dir" || { echo "$me: --restore $restore: cannot unpack (a study.tar.gz?)" >&2; exit 3; }
fi
db=$dir/study.db
stamp() { date -u +%H:%M:%S; }
log() { echo "[study $(stamp) +$(($(date +%s) - t0))s] $*"; }
# Seconds left of --seconds (a large number without a budget); whether a step of N seconds fits.
left() { ((seconds > 0)) && echo $((seconds - ($(date +%s) - t0))) || echo 999999; }
fits() { (($(left) >= $1)); }

# The jouleval binary: --jouleval, $JOULEVAL, the build stage's for this --dir, build/bin/jouleval.
jv=$jv_arg
[[ -z $jv && -s $dir/stages/jouleval.path ]] && jv=$(cat "$dir/stages/jouleval.path")
[[ -z $jv ]] && jv=$root/build/bin/jouleval
[[ -n $llama_bin ]] || llama_bin=$(dirname "$jv")
data_args=()
data_toml=""

set_data() {
  if [[ -n $data ]]; then
    [[ -d $data ]] || { log "data: --data / \$JOULEVAL_DATA_DIR $data is not a directory"; return 1; }
    data=$(realpath "$data")
    data_args=(--data "$data")
    data_toml="data_dir = \"$data\""
  elif ((smoke)); then
    data_args=(--samples)
    data_toml="samples = true"
  else
    log "data: give --data DIR or set JOULEVAL_DATA_DIR (or use --smoke for the built-in samples)"
    return 1
  fi
}

# The model files of the study: the --model files, or the synthetic preset's file (f32 when fp32 is
# measured, so that every precision is made from it; else f16).
synth_type=f16
[[ ",$precisions," == *,fp32,* ]] && synth_type=f32
base_models() {
  if ((${#models[@]})); then printf '%s\n' "${models[@]}"; else echo "$dir/models/$preset-$synth_type.gguf"; fi
}
# "PRECISION FILE" lines of one base model: the file `sweep --prepare-models` made beside it for each
# precision (STEM.TYPE.gguf, src/sweep/runner.cpp), or the base file itself when it has that type.
precision_files() {
  local src=$1 stem=${1%.gguf} p t
  IFS=, read -r -a ps <<<"$precisions"
  for p in "${ps[@]}"; do
    case $p in
      fp32) t=F32 ;; fp16) t=F16 ;; bf16) t=BF16 ;; int8) t=Q8_0 ;; int4) t=Q4_K_M ;; *) t=$p ;;
    esac
    if [[ -f $stem.$t.gguf ]]; then echo "$p $stem.$t.gguf"; else echo "$p $src"; fi
  done
}
# --placements with its separators as ';': a comma before a letter starts the next placement, a comma
# before a digit is inside one (gpus:0,1).
placement_list() { sed -E 's/,([a-z])/;\1/g' <<<"$placements"; }
# toml_list LIST [SEPARATOR]: a TOML array of strings (the separator of LIST: default ',').
toml_list() {
  local quoted=() x IFS=${2:-,}
  for x in $1; do quoted+=("\"$x\""); done
  IFS=,
  echo "[${quoted[*]}]"
}

write_config() {
  local list
  list=$(base_models | paste -sd,)
  local shots_mmlu=5
  cat >"$dir/configs/study.toml" <<EOF
# Written by bench/study.sh: the study matrix.
[sweep]
database = "$db"
$data_toml
models = $(toml_list "$list")
precisions = $(toml_list "$precisions")
placements = $(toml_list "$(placement_list)" ";")
tasks = $(toml_list "$tasks")
limit = $limit
repetitions = $reps
idle_seconds = $((smoke ? 0 : 5))
timeline = true
shot_preset = "$shot_preset"
fewshot_sampler = "$fewshot_sampler"

[tasks.mmlu]
shots = $shots_mmlu
[tasks.gsm8k]
limit = $gen_limit
shots = 5
EOF
}

# ---- peers ---------------------------------------------------------------------------------------
peer_failed=0
# One peer run: peer NAME LIMIT TOOL ARGS... The tool is looked for in the llama.cpp tools folder.
# Writes DIR/peers/NAME.{meter.json,stdout,log,status}. Returns 0 when it ran (ok or failed: the
# failure is recorded and counted), when it was done earlier, and when the tool is unavailable;
# 5 when it may not end within the time left (nothing started).
peer() {
  local name=$1 limit=$2 tool=$3
  shift 3
  local out=$dir/peers/$name exe=$llama_bin/$tool
  if [[ -s $out.meter.json ]]; then
    log "peer $name: done earlier"
    echo ok >"$out.status"
    return 0
  fi
  if [[ ! -x $exe ]]; then
    echo "unavailable: $tool not built" | tee "$out.status" | sed "s/^/[study] peer $name: /"
    return 0
  fi
  fits $((limit + 10)) || { log "peer $name: needs up to $limit s, $(left) s left; run again"; return 5; }
  log "peer $name"
  timeout "$limit" "$jv" meter --json --idle 0 --timeline "$out.timeline.csv" -o "$out.meter.json.tmp" -- \
    "$exe" "$@" >"$out.stdout" 2>"$out.log"
  local rc=$?
  if ((rc == 0)); then
    mv "$out.meter.json.tmp" "$out.meter.json"
    echo ok >"$out.status"
  else
    rm -f "$out.meter.json.tmp"
    if ((rc == 124)); then echo "failed (timed out after $limit s)"; else echo "failed (exit $rc)"; fi >"$out.status"
    log "peer $name: $(cat "$out.status"); last lines of $out.log:"
    tail -5 "$out.log"
    peer_failed=1
  fi
  return 0
}

# jouleval's GSM8K cell of one model file (the jouleval side of the generation comparison), then its
# shape from `jouleval export`: "PROMPT_TOKENS_PER_SEQ GEN_TOKENS_PER_SEQ SEQUENCES".
gen_cell() {
  local tag=$1 file=$2 place=$3
  local gdb=$dir/peers/$tag.gen.db
  if [[ ! -s $dir/peers/$tag.gen.json ]]; then
    fits 300 || return 5
    timeout 600 "$jv" run --model "$file" --task gsm8k --shots 5 --limit "$gen_limit" "${data_args[@]}" --preset "$shot_preset" \
      --fewshot-sampler "$fewshot_sampler" \
      --placement "$place" --repetitions "$((smoke ? 1 : 2))" --idle 0 --min-window 0 --db "$gdb" --json \
      >"$dir/peers/$tag.gen.json.tmp" 2>"$dir/peers/$tag.gen.log" || {
      log "jouleval gsm8k on $file failed; see $dir/peers/$tag.gen.log"
      tail -5 "$dir/peers/$tag.gen.log"
      return 1
    }
    mv "$dir/peers/$tag.gen.json.tmp" "$dir/peers/$tag.gen.json"
  fi
  # How many sequences were decoded together, and the prompt prefix they shared (evaluated once): run
  # prints both ("generation: N sequences decoded together", "generation: the prompts share their
  # first N tokens: evaluated once, M prompt tokens reused").
  local seqs shared
  seqs=$(grep -o 'generation: [0-9]* sequences decoded together' "$dir/peers/$tag.gen.log" | tail -1 | grep -o '[0-9]*')
  shared=$(grep -o 'share their first [0-9]* tokens' "$dir/peers/$tag.gen.log" | tail -1 | grep -o '[0-9]*')
  "$jv" export "$gdb" --format csv --columns items,parallel,prompt_tokens,generated_tokens |
    python3 "$root/bench/tables.py" --shape ${seqs:+--sequences "$seqs"} ${shared:+--shared "$shared"}
}

stage_peers() {
  local tasks_dir=$dir/peers/tasks place
  place=$(placement_list | cut -d';' -f1)
  mkdir -p "$tasks_dir"
  # The items jouleval scores, in llama-perplexity's formats.
  [[ -s $tasks_dir/mmlu5.bin ]] || "$jv" export-tasks --task mmlu "${data_args[@]}" --limit "$limit" --shots 5 \
    --format llama-mc -o "$tasks_dir/mmlu5.bin" -q || return 1
  [[ -s $tasks_dir/hellaswag.txt ]] || "$jv" export-tasks --task hellaswag "${data_args[@]}" --limit "$limit" \
    --format llama-hellaswag -o "$tasks_dir/hellaswag.txt" -q || return 1
  local n_hs np src prec file tag rc
  n_hs=$(($(wc -l <"$tasks_dir/hellaswag.txt") / 6))
  np=$(grep -o '"n_choices": *[0-9]*' "$tasks_dir/mmlu5.bin.items.jsonl" | grep -o '[0-9]*$' | sort -n | tail -1)
  ((np < 4)) && np=4
  local common=(-ngl "$ngl" "${threads[@]}")
  while read -r src; do
    while read -r prec file; do
      tag=$(basename "${src%.gguf}").$prec
      peer "$tag.llama-bench" 300 llama-bench -m "$file" -p "$bench_pp" -n "$bench_tg" "${common[@]}" -o json || return 5
      # CUDA graphs off: with them llama-perplexity --multiple-choice aborts on the 5-shot MMLU file at
      # 7B ("CUDA error: an illegal instruction"; docs/benchmarks-history.md).
      GGML_CUDA_DISABLE_GRAPHS=1 peer "$tag.perplexity-mmlu5" 400 llama-perplexity -m "$file" "${common[@]}" \
        -c 2048 -np "$np" --multiple-choice -bf "$tasks_dir/mmlu5.bin" || return 5
      peer "$tag.perplexity-hellaswag" 300 llama-perplexity -m "$file" "${common[@]}" -c 2048 --hellaswag \
        --hellaswag-tasks "$n_hs" -f "$tasks_dir/hellaswag.txt" || return 5
      # Generation at jouleval's own shape of this file's GSM8K cell.
      local shape
      shape=$(gen_cell "$tag" "$file" "$place")
      rc=$?
      ((rc == 5)) && return 5
      if ((rc != 0)) || [[ -z $shape ]]; then
        echo "failed (jouleval's GSM8K cell failed)" >"$dir/peers/$tag.batched-bench.status"
        peer_failed=1
        continue
      fi
      local npp ntg npl shared_prefix
      read -r npp ntg npl shared_prefix <<<"$shape"
      # The peer at its defaults and at the best settings found for it (docs/benchmarks.md), at the
      # same shape; when jouleval's prompts shared a prefix, also with the whole prompt shared (-pps):
      # the peer cannot share only a prefix, so the two runs bound it.
      local variant
      for variant in batched-bench batched-bench-best batched-bench-pps; do
        [[ $variant == batched-bench-pps && ${shared_prefix:-0} == 0 ]] && continue
        echo "$npp $ntg $npl" >"$dir/peers/$tag.$variant.shape"
        local settings=(-b 2048 -ub 512)
        [[ $variant != batched-bench ]] && settings=(-b 4096 -ub 2048)
        [[ $variant == batched-bench-pps ]] && settings+=(-pps)
        peer "$tag.$variant" 400 llama-batched-bench -m "$file" "${common[@]}" -npp "$npp" -ntg "$ntg" \
          -npl "$npl" -c $((npl * (npp + ntg) + 64)) "${settings[@]}" -fa on --output-format jsonl || return 5
      done
    done < <(precision_files "$src")
  done < <(base_models)
  return 0
}

# ---- engine speed --------------------------------------------------------------------------------
# name|task flags|engine flags. The first four are the engine's defaults; the others pin batch sizes,
# lanes and sequences (docs/benchmarks-history.md has their results).
speed_table() {
  cat <<EOF
hs|hellaswag --limit $limit|
mmlu5|mmlu --shots 5 --limit $limit|
mmlu0|mmlu --shots 0 --limit $limit|
gsm8k-gen|gsm8k --shots 5 --limit $gen_limit|
hs-lanes1|hellaswag --limit $limit|--lanes 1 --batch 2048 --ubatch 512
hs-lanes2|hellaswag --limit $limit|--lanes 2 --batch 2048 --ubatch 512
mmlu5-lanes1|mmlu --shots 5 --limit $limit|--lanes 1 --batch 2048 --ubatch 512
mmlu5-lanes2|mmlu --shots 5 --limit $limit|--lanes 2 --batch 2048 --ubatch 512
hs-lanes3|hellaswag --limit $limit|--lanes 3
hs-ub4096|hellaswag --limit $limit|--batch 8192 --ubatch 4096
hs-par128|hellaswag --limit $limit|--parallel 128
gsm8k-par64|gsm8k --shots 5 --limit $gen_limit|--parallel 64
EOF
}

stage_speed() {
  local names
  names=$(speed_table | cut -d'|' -f1 | paste -sd,)
  if [[ $speed_settings != all ]]; then
    IFS=, read -r -a ss <<<"$speed_settings"
    for s in "${ss[@]}"; do
      [[ ",$names," == *",$s,"* ]] || { log "speed: unknown setting '$s' (settings: $names)"; return 2; }
    done
  fi
  local file name task flags place
  place=$(placement_list | cut -d';' -f1)
  file=$(base_models | head -1)
  while IFS='|' read -r name task flags; do
    [[ $speed_settings == all || ",$speed_settings," == *",$name,"* ]] || continue
    [[ -s $dir/speed/$name.json ]] && continue
    fits 300 || { log "speed: $name not started ($(left) s left); run again"; return 5; }
    log "speed: $name"
    # shellcheck disable=SC2086 # task and flags are word lists
    timeout 600 "$jv" run --model "$file" --task $task "${data_args[@]}" --preset "$shot_preset" --placement "$place" $flags \
      --repetitions "$reps" --idle 0 --min-window 0 --db "$dir/speed/speed.db" --json -q \
      >"$dir/speed/$name.json.tmp" 2>"$dir/speed/$name.log" || {
      log "speed: $name failed; see $dir/speed/$name.log"
      tail -5 "$dir/speed/$name.log"
      return 1
    }
    mv "$dir/speed/$name.json.tmp" "$dir/speed/$name.json"
  done < <(speed_table)
  return 0
}

# ---- sweep, report -------------------------------------------------------------------------------
stage_sweep() {
  write_config
  local budget=$(($(left) - 30))
  ((budget < 60)) && { log "sweep: too little time left ($(left) s); run again"; return 5; }
  ((seconds == 0)) && budget=0
  local smi_pid=""
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=timestamp,power.draw --format=csv,noheader,nounits -lms 1000 \
      >>"$dir/logs/nvidia-smi-1hz.csv" 2>/dev/null &
    smi_pid=$!
  fi
  local args=(sweep --config "$dir/configs/study.toml" --json)
  ((budget > 0)) && args+=(--time-budget "$budget")
  if ((budget > 0)); then log "sweep (budget $budget s)"; else log "sweep (no time limit)"; fi
  # The budget stops the sweep between repetitions; the SIGKILL (which the sweep survives by design:
  # its next run resumes) guards against a repetition that runs longer than the invocation has left.
  local guard=()
  ((budget > 0)) && guard=(timeout --signal=KILL $((budget + 20)))
  local rc=0
  if [[ -z $sweep_gpus ]]; then
    "${guard[@]}" "$jv" "${args[@]}" >"$dir/logs/sweep.json" 2>>"$dir/logs/sweep.log"
    rc=$?
    tail -3 "$dir/logs/sweep.log"
  else
    # One sweep per entry of --sweep-gpus, all on the same configuration and database.
    local entry pids=() names=() i r
    IFS=, read -r -a entries <<<"$sweep_gpus"
    for entry in "${entries[@]}"; do
      local name=sweep.gpu-${entry//+/-}
      log "sweep on CUDA_VISIBLE_DEVICES=${entry//+/,} (logs/$name.log)"
      CUDA_VISIBLE_DEVICES=${entry//+/,} "${guard[@]}" "$jv" "${args[@]}" >"$dir/logs/$name.json" \
        2>>"$dir/logs/$name.log" &
      pids+=($!)
      names+=("$name")
    done
    for i in "${!pids[@]}"; do
      wait "${pids[$i]}"
      r=$?
      tail -2 "$dir/logs/${names[$i]}.log"
      # The worst outcome: a failure (1) over a stop at the budget (5) over success.
      if ((r != 0 && r != 5 && r != 137)); then
        rc=$r
      elif ((r != 0 && (rc == 0 || rc == 5 || rc == 137))); then
        rc=$r
      fi
    done
  fi
  [[ -n $smi_pid ]] && kill "$smi_pid" 2>/dev/null
  case $rc in
    0) return 0 ;;
    5 | 137) log "sweep: stopped at the budget; run again to resume"; return 5 ;;
    *) log "sweep: failed (exit $rc); see $dir/logs/sweep*.log"; return 1 ;;
  esac
}

stage_report() {
  "$jv" report "$db" -o "$dir/report.html" >"$dir/logs/report.log" 2>&1 || { cat "$dir/logs/report.log"; return 1; }
  local s extra
  for s in datacenter enterprise edge; do
    extra=()
    # The edge scenario: a device with 8 GB for the model (EDGE_MEMORY_GB).
    [[ $s == edge ]] && extra=(--max-memory-gb "${EDGE_MEMORY_GB:-8}")
    "$jv" recommend "$db" --scenario "$s" "${extra[@]}" >"$dir/recommend-$s.txt" 2>&1
    local rc=$?
    # recommend exits 1 when no configuration meets the scenario (a result, not a driver failure).
    ((rc <= 1)) || { cat "$dir/recommend-$s.txt"; return 1; }
  done
  "$jv" export "$db" --format csv -o "$dir/summary.csv" || return 1
  log "report: $dir/report.html, $dir/recommend-*.txt, $dir/summary.csv"
}

stage_build() {
  if [[ ! -x $jv && -z $jv_arg && -d $root/gpu-pack ]]; then
    log "build: scripts/build-gpu.sh with llama.cpp's tools (log: $dir/logs/build.log)"
    JOULEVAL_LLAMA_TOOLS=ON "$root/scripts/build-gpu.sh" "$root/build-gpu" >"$dir/logs/build.log" 2>&1 ||
      { tail -30 "$dir/logs/build.log"; return 1; }
    jv=$root/build-gpu/out/bin/jouleval
    llama_bin=$(dirname "$jv")
    echo "$jv" >"$dir/stages/jouleval.path"
  fi
  [[ -x $jv ]] || {
    log "build: $jv is not an executable: build it (README) or give --jouleval PATH / \$JOULEVAL"
    return 1
  }
  "$jv" version >"$dir/logs/version.txt" || return 1
  cat "$dir/logs/version.txt"
  local t
  for t in llama-bench llama-perplexity llama-batched-bench; do
    [[ -x $llama_bin/$t ]] && echo "peer tool: $llama_bin/$t" || echo "peer tool: $t not built (its peers will be unavailable)"
  done | tee -a "$dir/logs/version.txt"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,power.limit,clocks.max.sm,driver_version --format=csv >>"$dir/logs/version.txt" 2>&1
  fi
  return 0
}

stage_data() {
  # The sweep's plan reads every task's items: missing or bad data fails here, with the file named.
  write_config
  "$jv" sweep --config "$dir/configs/study.toml" --dry-run >"$dir/logs/plan.txt" 2>&1 || { cat "$dir/logs/plan.txt"; return 1; }
  head -1 "$dir/logs/plan.txt"
  log "data: ${data_args[*]} answers ${tasks}"
}

stage_models() {
  if ((${#models[@]})); then
    log "models: using ${models[*]}"
    return 0
  fi
  local f=$dir/models/$preset-$synth_type.gguf
  [[ -s $f ]] || "$jv" synth --preset "$preset" --type "$synth_type" -q -o "$f" || return 1
  ls -la "$dir/models"
}

stage_quantize() {
  write_config
  "$jv" sweep --config "$dir/configs/study.toml" --prepare-models >"$dir/logs/quantize.log" 2>&1 ||
    { tail -20 "$dir/logs/quantize.log"; return 1; }
  tail -3 "$dir/logs/quantize.log"
  while read -r src; do precision_files "$src"; done < <(base_models)
}

stage_tables() {
  python3 "$root/bench/tables.py" "$dir" --jouleval "$jv" >"$dir/tables.md.tmp" || return 1
  mv "$dir/tables.md.tmp" "$dir/tables.md"
  log "tables: $dir/tables.md"
  ((smoke)) && cat "$dir/tables.md"
  return 0
}

pack() {
  [[ -n ${OUT:-} ]] || return 0
  tar -C "$dir" -czf "$OUT/study.tar.gz" --exclude='*.gguf' --exclude='*.tmp' --exclude=peers/tasks . &&
    log "packed $OUT/study.tar.gz"
}
trap pack EXIT

status=0
data_set=0
for stage in "${stages[@]}"; do
  # build, models and quantize check this machine's files (a restored DIR has no model files): they
  # always run, and do only what is missing.
  if ((!redo)) && [[ " build models quantize " != *" $stage "* && -f $dir/stages/$stage.done ]]; then
    log "== $stage: done earlier (--redo to run it again)"
    continue
  fi
  log "== $stage ($( ((seconds)) && echo "$(left) s left" || echo "no time limit"))"
  if [[ " data quantize speed peers sweep " == *" $stage "* ]] && ((!data_set)); then
    if ! set_data; then
      status=1
      log "== $stage: FAILED"
      break
    fi
    data_set=1
  fi
  rm -f "$dir/stages/$stage.done"  # a stage run again is done only when this run completes it
  "stage_$stage"
  rc=$?
  case $rc in
    0)
      if [[ $stage == peers ]] && ((peer_failed)); then
        log "== $stage: complete, some peers failed (not marked done: the next run retries them)"
      else
        date -u +%FT%TZ >"$dir/stages/$stage.done"
        log "== $stage: complete"
      fi
      ;;
    5) status=5; log "== $stage: stopped at the time budget; run the same command again"; break ;;
    2) status=2; break ;;
    *) status=1; log "== $stage: FAILED"; break ;;
  esac
done
if ((status == 0 && peer_failed)); then
  status=1
  log "some peers failed (see the tables and $dir/peers/*.status)"
fi
log "end (exit $status)"
exit $status
