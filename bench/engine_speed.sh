#!/usr/bin/env bash
# Engine speed settings compared on one model (issue 4): the defaults, scoring lanes, parallel
# sequences, batch sizes, on HellaSwag and 0/5-shot MMLU, plus batched GSM8K generation. --reps repetitions per setting
# (default 3; the table shows their mean), no idle baseline (time, tokens/s and the GPU counter's
# joules are what is compared). Resumable: a setting whose result exists is not run again.
#
#   bench/engine_speed.sh --model M.gguf [--data DIR] [--dir DIR] [--placement gpu|cpu]
#                         [--limit N] [--gen-prompts N] [--only NAME,...] [--seconds S] [--reps N]
#
# --seconds S: start no further setting after S seconds (a device command's limit); run again to
# go on.
#
# Writes DIR/<name>.json (jouleval run --json) and prints a table (tokens/s, s, J, J/question).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=""
data=""
dir=/tmp/engine-speed
placement=gpu
limit=1000
gen_prompts=64
only=""
seconds=0
reps=3
t0=$(date +%s)
while (($#)); do
  case $1 in
    --model) model=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --placement) placement=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --gen-prompts) gen_prompts=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "engine_speed.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $model ]] || { echo "engine_speed.sh: --model is required" >&2; exit 2; }
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
[[ -n $data ]] || data=$(bench_data_dir "$root")
jv=${JOULEVAL_BIN:-$root/build-gpu/out/bin}/jouleval
[[ -x $jv ]] || jv=$root/build/bin/jouleval
mkdir -p "$dir"

# name | task | extra flags (the first four: the engine's defaults; the others pin the batch sizes
# that the documented runs of 2026-11-22 had as defaults, 2048 / 512)
settings=$(
  cat <<EOF
hs|hellaswag --limit $limit|
mmlu5|mmlu --shots 5 --limit $limit|
mmlu0|mmlu --shots 0 --limit $limit|
gsm8k-gen|gsm8k --limit $gen_prompts|--parallel $gen_prompts
hs-lanes1|hellaswag --limit $limit|--lanes 1 --batch 2048 --ubatch 512
hs-lanes2|hellaswag --limit $limit|--lanes 2 --batch 2048 --ubatch 512
mmlu5-lanes1|mmlu --shots 5 --limit $limit|--lanes 1 --batch 2048 --ubatch 512
mmlu5-lanes2|mmlu --shots 5 --limit $limit|--lanes 2 --batch 2048 --ubatch 512
hs-lanes2-par128|hellaswag --limit $limit|--lanes 2 --parallel 128 --batch 4096 --ubatch 512
mmlu5-lanes2-par128|mmlu --shots 5 --limit $limit|--lanes 2 --parallel 128 --batch 4096 --ubatch 512
mmlu0-lanes2|mmlu --shots 0 --limit $limit|--lanes 2 --batch 2048 --ubatch 512
hs-lanes2-ub1024|hellaswag --limit $limit|--lanes 2 --batch 2048 --ubatch 1024
hs-lanes2-ub2048|hellaswag --limit $limit|--lanes 2 --batch 4096 --ubatch 2048
mmlu5-lanes2-ub1024|mmlu --shots 5 --limit $limit|--lanes 2 --batch 2048 --ubatch 1024
hs-ub4096|hellaswag --limit $limit|--batch 8192 --ubatch 4096
hs-lanes3|hellaswag --limit $limit|--lanes 3
hs-par128|hellaswag --limit $limit|--parallel 128
EOF
)

while IFS='|' read -r name task flags; do
  [[ -z $only || ",$only," == *",$name,"* ]] || continue
  out=$dir/$name.json
  [[ -s $out ]] && continue
  if ((seconds > 0 && $(date +%s) - t0 > seconds)); then
    echo "$name: not started ($seconds s used); run again to go on"
    continue
  fi
  # shellcheck disable=SC2086 # task and flags are word lists
  timeout 300 "$jv" run --model "$model" --task $task --data "$data" --placement "$placement" $flags \
    --repetitions "$reps" --idle 0 --min-window 0 --db "$dir/engine-$name.db" --json -q >"$out.tmp" 2>"$dir/$name.log"
  rc=$?
  if ((rc == 0)); then mv "$out.tmp" "$out"; else echo "$name: exit $rc (see $dir/$name.log)"; tail -3 "$dir/$name.log"; fi
done <<<"$settings"

python3 - "$dir" <<'EOF'
import json, pathlib, sys
d = pathlib.Path(sys.argv[1])
def num(v):
    return v.get("mean") if isinstance(v, dict) else v
print("| setting | task | items | reps | s | questions/s | prompt tok | gen tok | tokens/s | GPU J | J/question |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for f in sorted(d.glob("*.json")):
    for r in json.load(open(f)).get("results", []):
        s = num(r["seconds"])
        j = num(r.get("gpu_j"))
        jq = num(r.get("j_per_question"))
        n = r["seconds"].get("n", 1) if isinstance(r["seconds"], dict) else 1
        print(f"| {f.stem} | {r['task']} {r['shots']}-shot | {r['items']} | {n} | {s:.2f} | {r['items'] / s:.1f} | "
              f"{r['prompt_tokens']:.0f} | "
              f"{r['generated_tokens']:.0f} | {num(r['tokens_per_s']):,.0f} | "
              f"{'' if j is None else f'{j:,.0f}'} | {'' if jq is None else f'{jq:.2f}'} |")
EOF
