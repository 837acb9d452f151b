#!/usr/bin/env bash
# Staged GPU measurements on the lent H100 (each stage fits one 10-minute device command; build
# outputs and models stay in /tmp while the machine is warm). Results go to $OUT (or ./out).
#   bench/h100_session.sh build     # CUDA build from gpu-pack/ (+ bench/gpu_load)
#   bench/h100_session.sh meter     # jouleval meter around a 25 s steady GPU load (issue 3)
#   bench/h100_session.sh synth     # synthetic Qwen2.5-7B-shape model, f16
#   bench/h100_session.sh sanity    # 300 MMLU 5-shot + 300 HellaSwag on it (speed check)
#   bench/h100_session.sh full-mmlu       # full MMLU test, 5-shot (14042 questions)
#   bench/h100_session.sh full-hellaswag  # full HellaSwag validation, 0-shot (10042)
#   bench/h100_session.sh recheck   # MMLU 5-shot 2000, HellaSwag 2000, GSM8K 64 prompts (generation)
#   bench/h100_session.sh peers     # llama-bench pp512/tg128 and llama-perplexity --hellaswag (2000) under jouleval meter
# Data: a copy of shared/datasets in .gpu-data/ (carried; see docs/benchmarks.md).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out}
mkdir -p "$out"
bin=$root/build-gpu/out/bin
data="$root/.gpu-data"
model=/tmp/models/qwen2.5-7b-f16.gguf
stamp() { date -u +%H:%M:%S; }

for stage in "$@"; do
  echo "== $stage $(stamp)"
  case $stage in
    build)
      start=$(date +%s)
      JOULEVAL_LLAMA_TOOLS=${JOULEVAL_LLAMA_TOOLS:-OFF} "$root/scripts/build-gpu.sh" "$root/build-gpu" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
      echo "build seconds $(( $(date +%s) - start ))" | tee -a "$out/build.log"
      nvcc -O2 -arch=sm_90 -o /tmp/gpu_load "$root/bench/gpu_load.cu"
      "$bin/jouleval" version | tee "$out/version.txt"
      ;;
    meter)
      "$bin/jouleval" meter --json --idle 5 --timeline "$out/meter_timeline.csv" -o "$out/meter.json" -- /tmp/gpu_load 25 >"$out/meter.out" 2>"$out/meter.err"
      echo "meter rc=$?"; cat "$out/meter.err"; head -c 4000 "$out/meter.json"; echo
      "$bin/jouleval" meter --idle 5 -- /tmp/gpu_load 25 2>&1 | tee "$out/meter.txt"
      ;;
    synth)
      mkdir -p /tmp/models
      [[ -f $model ]] || /usr/bin/time -v "$bin/jouleval" synth --preset qwen2.5-7b --type f16 -o "$model" 2>&1 | grep -E "wrote|Elapsed|Maximum resident" | tee "$out/synth.txt"
      ls -la /tmp/models
      ;;
    sanity)
      timeout 400 "$bin/jouleval" run --model "$model" --task mmlu,hellaswag --shots 0 --data "$data" --limit 300 \
        --repetitions 1 --idle 5 --db "$out/sanity.db" --json >"$out/sanity.json" 2>"$out/sanity.err"
      echo "sanity rc=$?"; tail -20 "$out/sanity.err"
      timeout 200 "$bin/jouleval" run --model "$model" --task mmlu --shots 5 --data "$data" --limit 300 \
        --repetitions 1 --idle 0 --db "$out/sanity.db" --json >"$out/sanity5.json" 2>>"$out/sanity.err"
      echo "sanity5 rc=$?"; tail -8 "$out/sanity.err"
      ;;
    full-mmlu | full-hellaswag)
      task=${stage#full-}
      shots=0; [[ $task == mmlu ]] && shots=5
      timeout ${STAGE_TIMEOUT:-540} "$bin/jouleval" run --model "$model" --task "$task" --shots $shots --data "$data" \
        --repetitions 1 --idle 5 --db "/tmp/full-$task.db" --json >"$out/full-$task.json" 2>"$out/full-$task.err"
      echo "full-$task rc=$?"; tail -12 "$out/full-$task.err"
      ;;
    recheck)
      # Same model: MMLU 5-shot and HellaSwag on 2000 items each, and batched greedy generation
      # (GSM8K 5-shot, 64 prompts, up to 256 new tokens each).
      timeout 200 "$bin/jouleval" run --model "$model" --task mmlu --shots 5 --limit 2000 --data "$data" \
        --repetitions 1 --idle 5 --db /tmp/recheck.db --json >"$out/recheck-mmlu.json" 2>"$out/recheck.err"
      echo "mmlu rc=$?"
      timeout 150 "$bin/jouleval" run --model "$model" --task hellaswag --limit 2000 --data "$data" \
        --repetitions 1 --idle 0 --db /tmp/recheck.db --json >"$out/recheck-hellaswag.json" 2>>"$out/recheck.err"
      echo "hellaswag rc=$?"
      timeout 150 "$bin/jouleval" run --model "$model" --task gsm8k --limit 64 --data "$data" \
        --repetitions 1 --idle 0 --db /tmp/recheck.db --json >"$out/recheck-gsm8k.json" 2>>"$out/recheck.err"
      echo "gsm8k rc=$?"; grep -E "items in|done" "$out/recheck.err"
      ;;
    peers)
      # llama.cpp's own tools on the same model file, measured with jouleval meter.
      JOULEVAL_LLAMA_TOOLS=ON "$root/scripts/build-gpu.sh" "$root/build-gpu" >>"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
      timeout 120 "$bin/jouleval" meter --json --idle 0 -o "$out/peer-llama-bench.meter.json" -- "$bin/llama-bench" -m "$model" -p 512 -n 128 -ngl 99 -o json \
        >"$out/peer-llama-bench.txt" 2>"$out/peer-llama-bench.err"
      echo "llama-bench rc=$?"; grep -E '"(n_prompt|n_gen|avg_ts)"' "$out/peer-llama-bench.txt" | head -8
      timeout 240 "$bin/jouleval" meter --json --idle 0 -o "$out/peer-perplexity-hellaswag.meter.json" -- "$bin/llama-perplexity" -m "$model" -ngl 99 -c 2048 \
        -f "$data/hellaswag/hellaswag_val_full.txt" --hellaswag --hellaswag-tasks 2000 \
        >"$out/peer-perplexity-hellaswag.txt" 2>"$out/peer-perplexity-hellaswag.err"
      echo "llama-perplexity rc=$?"; tail -4 "$out/peer-perplexity-hellaswag.err"
      ;;
    *) echo "unknown stage $stage"; exit 2 ;;
  esac
done
echo "== end $(stamp)"
