#!/usr/bin/env bash
# `run --endpoint ... --arrival-rate R` with a bad R is a usage error (exit 2) naming the option,
# before any connection is tried (the endpoint here is unreachable: exit 4 would mean it got that far).
# Usage: bad_arrival_rate.sh JOULEVAL_BINARY WORK_DIR
set -u
cli=$1
dir=$2
mkdir -p "$dir"
failed=0
for value in 0 -1 -0.5 nan inf abc 4x 10001 1,1 "1,,2" ""; do
  out=$("$cli" run --endpoint http://127.0.0.1:1 --served-model m --task gsm8k --samples \
    --db "$dir/bad-arrival-rate.db" --arrival-rate="$value" 2>&1)
  rc=$?
  if [[ $rc -ne 2 || $out != *"--arrival-rate"* ]]; then
    echo "--arrival-rate '$value': exit $rc, expected 2 naming --arrival-rate; output: $out"
    failed=1
  fi
done
# The separate-argument form of a negative value too.
out=$("$cli" run --endpoint http://127.0.0.1:1 --served-model m --task gsm8k --samples \
  --db "$dir/bad-arrival-rate.db" --arrival-rate -1 2>&1)
rc=$?
if [[ $rc -ne 2 || $out != *"--arrival-rate"* ]]; then
  echo "--arrival-rate -1: exit $rc, expected 2 naming --arrival-rate; output: $out"
  failed=1
fi
# Without --endpoint the option is refused by the parser.
out=$("$cli" run --model synth:tiny --task gsm8k --samples --db "$dir/bad-arrival-rate.db" --arrival-rate 4 2>&1)
rc=$?
if [[ $rc -ne 2 || $out != *"--arrival-rate"* ]]; then
  echo "--arrival-rate without --endpoint: exit $rc, expected 2; output: $out"
  failed=1
fi
exit $failed
