#!/usr/bin/env bash
# The integrity and robustness changes checked on a GPU machine in one call (docs/benchmarks.md,
# "Integrity check on the GPU"): builds the CUDA jouleval, then on a synthetic Qwen2.5-1.5B-shape
# model (random weights: chance-level accuracy) and real benchmark data:
#   1. two sweeps of one config started at once on one database (claims: each cell measured once,
#      the int8 file quantized once), GPU energy from NVML;
#   2. the same config again with another seed: new cells, not the old results;
#   3. `meter` of a GPU load and of `sleep` with NVML; a SIGTERM to meter while it measures;
#   4. report, LaTeX export and precision table of the database.
# Writes everything to $OUT/gpu-smoke.tar.gz (or ./gpu-smoke.tar.gz without $OUT).
#   bench/gpu_smoke.sh [--no-build] [--data DIR]     (data: else $JOULEVAL_DATA_DIR, else .gpu-data;
#                                                    binary: $JOULEVAL, else build-gpu/out/bin/jouleval)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=1
data=""
while (($#)); do
  case $1 in
    --no-build) build=0 ;;
    --data) data=$2; shift ;;
    *) echo "gpu_smoke: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
out=${OUT:-$PWD}
work=$(mktemp -d)
log="$work/smoke.log"
trap 'tar -C "$work" -czf "$out/gpu-smoke.tar.gz" --exclude="*.gguf" . ; echo "gpu_smoke: results in $out/gpu-smoke.tar.gz"' EXIT
say() { echo "== $*" | tee -a "$log"; }

if [[ -z $data ]]; then
  if [[ -f $root/.gpu-data/datasets.tar.xz && ! -d $root/.gpu-data/datasets ]]; then
    tar -C "$root/.gpu-data" -xJf "$root/.gpu-data/datasets.tar.xz"
  fi
  data=${JOULEVAL_DATA_DIR:-$root/.gpu-data}
  [[ -d $data/datasets ]] && data=$data/datasets
fi
if ((build)); then
  say "build"
  t0=$SECONDS
  "$root/scripts/build-gpu.sh" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
  say "build took $((SECONDS - t0)) s"
fi
jv=${JOULEVAL:-$root/build-gpu/out/bin/jouleval}
"$jv" version | tee -a "$log"
nvidia-smi --query-gpu=name,power.draw,temperature.gpu,memory.used --format=csv | tee -a "$log"

cd "$work" || exit 1
cat >sweep.toml <<EOF
[sweep]
database = "smoke.db"
data_dir = "$data"
models = ["synth:qwen2.5-1.5b"]
precisions = ["fp16", "int8"]
placements = ["gpu"]
tasks = ["mmlu", "hellaswag", "gsm8k"]
repetitions = 2
idle_seconds = 2
timeline = true

[tasks.mmlu]
limit = 500
shots = 5

[tasks.hellaswag]
limit = 500

[tasks.gsm8k]
limit = 32
EOF

say "1. two sweeps of one config at once"
"$jv" sweep --config sweep.toml --prepare-models >prepare.log 2>&1
rm -f models/*.Q8_0.gguf*  # make both processes race for the int8 file
t0=$SECONDS
"$jv" sweep --config sweep.toml --json >a.json 2>a.err &
pa=$!
sleep 1
"$jv" sweep --config sweep.toml --json >b.json 2>b.err &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
say "exit codes $ra $rb in $((SECONDS - t0)) s"
python3 - <<'EOF' | tee -a "$log"
import json, sqlite3
a, b = json.load(open("a.json")), json.load(open("b.json"))
print("measured by A", a["cells_done"], "by B", b["cells_done"], "already done A", a["cells_already_done"],
      "B", b["cells_already_done"], "failed", a["cells_failed"] + b["cells_failed"])
db = sqlite3.connect("smoke.db")
for row in db.execute("""select c.precision, c.task, c.status, count(r.id), group_concat(r.idx),
                           sum(r.seconds), c.file_sha256 from cells c left join repetitions r on r.cell_id = c.id
                         group by c.id order by c.id"""):
    print(row[:6], row[6][:12])
print("claims left", db.execute("select count(*) from claims").fetchone()[0])
print("int8 records", open([l for l in __import__("glob").glob("models/*.Q8_0.gguf.source.json")][0]).read())
EOF
grep -h "being measured\|taking over\|waiting for another process\|quantizing" a.err b.err | tee -a "$log"

say "2. another seed is another cell"
"$jv" run --model models/qwen2.5-1.5b-f16.gguf --precision fp16 --task mmlu --data "$data" --limit 500 --shots 5 \
  --repetitions 1 --idle 0 --seed 7 --db smoke.db --log-items seed7.jsonl >seed.out 2>seed.err
say "exit $? ; items logged $(wc -l <seed7.jsonl)"
tail -5 seed.out | tee -a "$log"

say "3. meter"
"$jv" meter --idle 2 --json -o meter-sleep.json -- sleep 3 2>meter-sleep.err
say "meter sleep exit $?"
python3 -c "import json; j=json.load(open('meter-sleep.json')); print(json.dumps(j['meters'], indent=1)[:1500])" | tee -a "$log"
"$jv" meter --idle 0 --json -o meter-term.json -- sleep 30 2>meter-term.err &
pm=$!
sleep 3
kill -TERM $pm
wait $pm
say "meter SIGTERM exit $? (143 expected); stopped_by: $(python3 -c "import json; print(json.load(open('meter-term.json'))['stopped_by'])")"
pgrep -f "sleep 30" >/dev/null && say "ORPHAN: sleep 30 still running" || say "no orphan left"

say "4. report and exports"
"$jv" report smoke.db -o report.html >report.out 2>&1; say "report exit $?"
"$jv" export smoke.db --format latex >table.tex 2>export.err; say "latex exit $?"
"$jv" export smoke.db --format csv --table precision >precision.csv 2>>export.err; say "precision exit $?"
cat precision.csv | tee -a "$log"
"$jv" export smoke.db --format markdown | tee -a "$log"
