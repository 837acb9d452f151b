# A/B of GSM8K generation on one machine: $1 = label (old|new), $2 = jouleval binary.
set -u
label=$1; J=$2
W=$(mktemp -d); tar -C $W -xJf .gpu-data/datasets.tar.xz; cd $W
$J version | head -2
$J synth --preset qwen2.5-7b --seed 1 -o q7b.gguf > synth.log 2>&1; sha256sum q7b.gguf | cut -c1-16
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu --format=csv,noheader
t0=$SECONDS
$J run -m q7b.gguf -t gsm8k --limit 256 -d datasets --placement gpu --repetitions 3 --idle 5 --db g.db --json > run.json 2> run.err
echo "$label run rc $? $((SECONDS-t0)) s"
grep -E "items in" run.err | sort -u
$J export g.db --format csv > summary.csv 2>/dev/null
tar czf $OUT/gsm8k-$label.tar.gz run.json run.err summary.csv synth.log
