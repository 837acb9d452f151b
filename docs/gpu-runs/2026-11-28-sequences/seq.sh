set -u
t0=$SECONDS; scripts/build-gpu.sh > $OUT/build.log 2>&1; echo "build rc $? $((SECONDS-t0)) s"
J=$PWD/build-gpu/out/bin/jouleval
W=$(mktemp -d); tar -C $W -xJf .gpu-data/datasets.tar.xz; cd $W
$J synth --preset qwen2.5-7b --seed 1 -o q7b.gguf > synth.log 2>&1; sha256sum q7b.gguf | cut -c1-16
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu,memory.used --format=csv,noheader
for p in 64 0; do
  t0=$SECONDS
  $J run -m q7b.gguf -t gsm8k --limit 256 -d datasets --placement gpu --repetitions 2 --idle 2 --parallel $p --db g$p.db > run$p.json 2> run$p.err
  echo "parallel=$p rc $? $((SECONDS-t0)) s"
  grep -E "items in|generation:" run$p.err | sort -u
  $J export g$p.db --format csv > summary$p.csv 2>/dev/null
done
nvidia-smi --query-gpu=memory.used --format=csv,noheader
tar czf $OUT/seq.tar.gz run*.err summary*.csv
