#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, in ./build-fuzz), replays their seed corpus and
# regression inputs, then fuzzes each harness for a given time. Findings are kept; the exit status is
# 1 when there is any. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                        # every harness, 60 s each, one at a time
#   scripts/fuzz.sh -t 600 -j 2 gguf_summary sweep_config
#   scripts/fuzz.sh --total 170 -j 2       # about 170 s of fuzzing in all, shared out (CI)
#   scripts/fuzz.sh --datasets DIR ...     # also seed with the first items of the benchmark files in DIR
#   scripts/fuzz.sh --replay               # only replay the seeds and regressions (no fuzzing)
#   scripts/fuzz.sh --keep-going ...       # go on after a finding (libFuzzer -fork=1), for long runs
#
# Per harness H, under build-fuzz/work/H/: corpus/ (grows from run to run; --fresh starts again from
# the committed seeds), findings/ (crash-*, leak-*, timeout-*, oom-* inputs; kept), fuzz.log.
# Needs ./build (scripts/setup.sh): the fuzz build links its llama.cpp libraries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${JOULEVAL_BUILD_DIR:-$root/build}
fuzz_build=${JOULEVAL_FUZZ_BUILD_DIR:-$root/build-fuzz}
all=(mmlu_csv arc_jsonl hellaswag_jsonl hellaswag_text truthfulqa_json gsm8k_jsonl sweep_config gguf_summary
  external_meter endpoint_response)

seconds=60 total= jobs=1 datasets= replay_only=0 fresh=0 keep_going=0 harnesses=()
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while (($#)); do
  case $1 in
    -t | --time) seconds=$2 && shift ;;
    -j | --jobs) jobs=$2 && shift ;;
    --total) total=$2 && shift ;;
    --datasets) datasets=$2 && shift ;;
    --replay) replay_only=1 ;;
    --fresh) fresh=1 ;;
    --keep-going) keep_going=1 ;;
    -h | --help) usage && exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2 && usage >&2 && exit 2 ;;
    *) harnesses+=("$1") ;;
  esac
  shift
done
((${#harnesses[@]})) || harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  [[ " ${all[*]} " == *" $h "* ]] || { echo "fuzz: no harness '$h' (have: ${all[*]})" >&2 && exit 2; }
done
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ && $total =~ ^[0-9]*$ ]] ||
  { echo "fuzz: -t, --total and -j take whole numbers" >&2 && exit 2; }
if [[ -n $total ]]; then  # rounds of `jobs` harnesses at a time share the total
  rounds=$(((${#harnesses[@]} + jobs - 1) / jobs))
  seconds=$((total / rounds))
  ((seconds > 0)) || seconds=1
fi

# ---- build ---------------------------------------------------------------------------------------
cc=clang-14 cxx=clang++-14
command -v "$cxx" >/dev/null 2>&1 || cc=clang cxx=clang++
command -v "$cxx" >/dev/null 2>&1 || { echo "fuzz: clang not found (scripts/setup.sh installs clang-14)" >&2 && exit 4; }
[[ -f $build/CMakeCache.txt ]] || { echo "fuzz: $build is not configured: run scripts/setup.sh first" >&2 && exit 4; }
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
t0=$SECONDS
cmake --build "$build" -j "$(nproc)" --target llama ggml >/dev/null
cmake -S "$root" -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" -DJOULEVAL_FUZZ=ON -DJOULEVAL_BUILD_TESTS=OFF \
  -DJOULEVAL_LLAMA_PREBUILT="$build" >/dev/null
cmake --build "$fuzz_build" -j "$(nproc)" --target "${harnesses[@]/#/fuzz_}"
echo "fuzz: built $fuzz_build in $((SECONDS - t0)) s"

# ---- replay the seeds and the regression inputs -------------------------------------------------
regex=$(IFS='|' && echo "${harnesses[*]}")
failed=0
ctest --test-dir "$fuzz_build" -R "^fuzz\.($regex)\$" -j "$jobs" --output-on-failure || failed=1
if ((replay_only || seconds == 0)); then
  exit $failed
fi

# ---- fuzz ----------------------------------------------------------------------------------------
dict_of() {
  case $1 in
    mmlu_csv | hellaswag_text | external_meter) ;;
    sweep_config) echo "$root/tests/fuzz/dict/toml.dict" ;;
    gguf_summary) echo "$root/tests/fuzz/dict/gguf.dict" ;;
    *) echo "$root/tests/fuzz/dict/json.dict" ;;
  esac
}

fuzz_one() {
  local h=$1 work=$fuzz_build/work/$1
  ((fresh)) && rm -rf "$work/corpus"
  mkdir -p "$work/corpus" "$work/findings"
  cp -n "$root/tests/fuzz/corpus/$h"/* "$work/corpus/" 2>/dev/null || true
  if [[ -n $datasets ]]; then
    python3 "$root/tests/fuzz/make_corpus.py" datasets "$work/seeds" "$datasets"
    [[ -d $work/seeds/$h ]] && cp "$work/seeds/$h"/* "$work/corpus/"
  fi
  local dict args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$work/findings/")
  dict=$(dict_of "$h")
  [[ -n $dict ]] && args+=(-dict="$dict")
  ((keep_going)) && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  local before after
  before=$(find "$work/findings" -type f | wc -l)
  (cd "$work" && "$fuzz_build/bin/fuzz_$h" "${args[@]}" corpus >fuzz.log 2>&1) || true
  after=$(find "$work/findings" -type f | wc -l)
  # Executions: libFuzzer's final statistics, or (with -fork) its last status line "#N: cov: ..".
  # Coverage: what the corpus now reaches, measured by one pass over it (the same measure in both
  # modes): edges (cov), features (ft) and inputs (corp).
  local execs cov
  execs=$(grep -aE '^stat::number_of_executed_units' "$work/fuzz.log" | awk '{print $2}') || true
  [[ -n $execs ]] || execs=$(grep -aE '^#[0-9]+.*cov: ' "$work/fuzz.log" | tail -1 | sed -E 's/^#([0-9]+).*/\1/') || true
  cov=$(cd "$work" && "$fuzz_build/bin/fuzz_$h" -runs=0 -timeout=25 corpus 2>&1 | grep -a 'INITED' |
    grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+') || cov='cov: ?'
  printf 'fuzz: %-16s %4ss  execs %-10s %s  new findings: %d\n' "$h" "$seconds" "${execs:-?}" "$cov" \
    $((after - before)) | tee -a "$fuzz_build/work/summary.txt"
  if ((after > before)); then
    echo "fuzz: $h: see $work/fuzz.log; findings in $work/findings/:" >&2
    grep -aE '^(==[0-9]+==ERROR|SUMMARY|jouleval fuzz finding|.*runtime error)' "$work/fuzz.log" | sort -u | head -5 >&2 || true
    return 1
  fi
}

echo "fuzz: ${#harnesses[@]} harnesses, ${seconds} s each, $jobs at a time"
mkdir -p "$fuzz_build/work"
echo "# $(date -u +%FT%TZ): ${#harnesses[@]} harnesses, ${seconds} s each, $jobs at a time" \
  "$( ((keep_going)) && echo '(--keep-going)')" >>"$fuzz_build/work/summary.txt"
running=0
for h in "${harnesses[@]}"; do
  if ((running >= jobs)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$h" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
if ((failed)); then
  echo "fuzz: FINDINGS (a regression input fails, or fuzzing found new ones). Replay one with" \
    "$fuzz_build/bin/fuzz_<harness> <file>; add each new one to tests/fuzz/regressions/<harness>/" \
    "(docs/fuzzing.md)." >&2
  exit 1
fi
echo "fuzz: no findings"
