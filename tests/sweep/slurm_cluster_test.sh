#!/usr/bin/env bash
# `sweep --emit-slurm` on a real Slurm: a single-node cluster on localhost (Debian's slurm-wlm and
# munge) started inside the test, the emitted job array submitted with sbatch and waited for, every
# array task checked COMPLETED with exit 0, the shards merged and every planned cell checked to be
# there exactly once (with all its items, none twice); one task resubmitted alone resumes (nothing
# run twice).
#
#   slurm_cluster_test.sh JOULEVAL [SECONDS]
#
# Everything lives in one temporary directory: its own munge key and socket, a generated slurm.conf
# (free ports; state, spool, logs and pid files in that directory), so it never meets a real
# cluster or a system munged. The daemons it starts are stopped on every exit (success, failure,
# signal); each runs under `timeout`, so none outlives the test's bound even if the test is killed.
# On exit no process started under this cluster may remain (found by SLURM_CONF in its environment).
# Exit 77 (ctest's SKIP_RETURN_CODE) when the cluster cannot be had: not root, slurm-wlm or munge
# missing, a daemon that does not start. Under CI=true each of these is a failure instead.
set -euo pipefail

jouleval=${1:?usage: slurm_cluster_test.sh JOULEVAL [SECONDS]}
budget=${2:-120}              # the whole test, seconds
daemon_life=$((budget + 30))  # the daemons' own bound, past which `timeout` ends them
start=$SECONDS

say() { echo "slurm-test: $*"; }
fail() {
  say "FAIL: $*"
  exit 1
}
# The cluster cannot be had here: skipped, never passed; a failure in CI, which must run it.
unavailable() {
  [[ ${CI:-} == true ]] && fail "$* (CI=true: this test must run against real Slurm daemons)"
  say "SKIPPED: $*"
  exit 77
}

# Settings of an enclosing Slurm job or of the user's environment would steer sbatch and squeue.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SQUEUE|SINFO|SCONTROL|SALLOC|SRUN)_' || true)

[[ $(id -u) -eq 0 ]] || unavailable "needs root to start munged, slurmctld and slurmd"
PATH=$PATH:/usr/sbin:/sbin
for prog in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel timeout; do
  command -v "$prog" >/dev/null 2>&1 || unavailable "$prog not found (apt-get install -y slurm-wlm munge)"
done
[[ -x $jouleval ]] || fail "$jouleval is not an executable"
jouleval=$(cd "$(dirname "$jouleval")" && pwd)/$(basename "$jouleval")

dir=$(mktemp -d "${TMPDIR:-/tmp}/jouleval-slurm.XXXXXX")
chmod 0700 "$dir"
pids=() # `timeout` wrapping each daemon, stopped in reverse order
job=""

show_logs() {
  local f
  for f in "$dir"/log/* "$dir"/work/shards/logs/*; do
    [[ -s $f ]] || continue
    [[ $f == *.out && -s ${f%.out}.log ]] && continue # a daemon's stderr repeats its log
    echo "----- ${f#"$dir"/} (last lines)"
    tail -n 30 "$f"
  done
}

# Processes whose environment names this cluster's slurm.conf: the daemons, job steps and jobs.
cluster_processes() {
  local p
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" ]] && continue
    tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "SLURM_CONF=$dir/slurm.conf" && echo "${p#/proc/}"
  done
  return 0
}

cleanup() {
  local rc=$? i t pid left
  trap - EXIT INT TERM
  if [[ -n $job ]] && [[ -n $(squeue -h -j "$job" -o %i 2>/dev/null) ]]; then
    scancel "$job" 2>/dev/null || true
    for ((i = 0; i < 50; ++i)); do
      [[ -z $(squeue -h -j "$job" -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  ((rc == 0 || rc == 77)) || show_logs
  for ((i = ${#pids[@]} - 1; i >= 0; --i)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue # timeout passes TERM on to the daemon
    for ((t = 0; t < 50; ++t)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi # timeout leads its group
    wait "$pid" 2>/dev/null || true
  done
  export -n SLURM_CONF # so that the scan below does not find its own helpers
  for ((t = 0; t < 25; ++t)); do # a job step may take a moment to end after its daemon
    left=$(cluster_processes)
    [[ -z $left ]] && break
    sleep 0.2
  done
  if [[ -n $left ]]; then
    say "FAIL: processes left behind by the cluster: $(tr '\n' ' ' <<<"$left")"
    ps -o pid,ppid,args -p "$(paste -sd, <<<"$left")" || true
    for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
    ((rc == 0 || rc == 77)) && rc=1
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Two TCP ports no socket on this machine uses, below Linux's ephemeral range (so no outgoing
# connection takes them meanwhile).
used_ports() {
  local f local_address
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    while read -r _ local_address _; do
      [[ $local_address == *:* ]] && echo $((16#${local_address##*:}))
    done < <(tail -n +2 "$f")
  done
}
pick_port() { # the ports not to take as arguments
  local used p
  used=" $(used_ports | tr '\n' ' ') $* "
  for ((i = 0; i < 200; ++i)); do
    p=$((20000 + RANDOM % 12000))
    [[ $used == *" $p "* ]] || {
      echo "$p"
      return
    }
  done
  fail "no free TCP port found"
}
ctld_port=$(pick_port)
slurmd_port=$(pick_port "$ctld_port")

mkdir -p "$dir"/{munge,log,run,state,spool,work}
chmod 0711 "$dir/munge" # munged wants its socket directory searchable
export SLURM_CONF=$dir/slurm.conf # also marks every process of this cluster (cluster_processes)

# munge: its own key, socket, seed, log and pid file; no system munged is used or needed.
mungekey --create --keyfile="$dir/munge/munge.key" >"$dir/log/mungekey.out" 2>&1 ||
  unavailable "mungekey could not create a key: $(cat "$dir/log/mungekey.out")"
chmod 0400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
timeout -s TERM "$daemon_life" munged --foreground --force --socket="$socket" --key-file="$dir/munge/munge.key" \
  --seed-file="$dir/munge/munged.seed" --log-file="$dir/log/munged.log" --pid-file="$dir/run/munged.pid" \
  >"$dir/log/munged.out" 2>&1 &
pids+=($!)

# The node as slurmd sees this machine (CPUs, sockets, cores, threads, memory), named localhost.
node=$(slurmd -C 2>"$dir/log/slurmd-C.out" | head -n 1) || true
[[ $node == NodeName=* ]] || unavailable "slurmd -C failed: $(cat "$dir/log/slurmd-C.out")"
node=$(sed -E 's/^NodeName=[^ ]+/NodeName=localhost/' <<<"$node")
cat >"$SLURM_CONF" <<EOF
ClusterName=jouleval-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
$node NodeAddr=127.0.0.1 NodeHostname=localhost State=UNKNOWN
PartitionName=jtest Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

# munged answers before the Slurm daemons start (they authenticate every message through it).
for ((i = 0; i < 50; ++i)); do
  [[ -S $socket ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
[[ -S $socket ]] || unavailable "munged did not start: $(tail -n 5 "$dir"/log/munged.*)"

timeout -s TERM "$daemon_life" slurmctld -D -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
pids+=($!)
timeout -s TERM "$daemon_life" slurmd -D -f "$SLURM_CONF" -N localhost >"$dir/log/slurmd.out" 2>&1 &
pids+=($!)

# The node registers and becomes idle.
state=""
while ((SECONDS - start < 40)); do
  state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || {
      show_logs
      unavailable "a daemon exited at start (logs above)"
    }
  done
  sleep 0.5
done
[[ $state == idle ]] || {
  show_logs
  unavailable "the node did not become idle within 40 s (state '${state:-none}'; logs above)"
}
say "cluster up in $((SECONDS - start)) s (slurmctld port $ctld_port, slurmd port $slurmd_port)"

# A sweep of 4 cells (2 precisions x 2 tasks) of the tiny synthetic model on the built-in samples,
# one thread per task: the 2-CPU node of CI runs two array tasks at a time, which take turns measuring.
work=$dir/work
cd "$work"
# The tasks take turns on their own measurement lock (docs/sweep.md), not on the machine's, which
# other tests' sweeps hold meanwhile; sbatch passes the environment on to the tasks.
export JOULEVAL_MEASURE_LOCK=$dir/measure.lock
"$jouleval" synth --preset tiny -q -o tiny.gguf
cat >sweep.toml <<'EOF'
[sweep]
samples = true
models = ["tiny.gguf"]
precisions = ["fp16", "int8"]
placements = ["cpu"]
tasks = ["arc_challenge", "hellaswag"]
limit = 3
repetitions = 1
idle_seconds = 0
warmup_requests = 0
min_window_seconds = 0
threads = 1
context_size = 2048
EOF
"$jouleval" sweep --config sweep.toml --emit-slurm job.sh --slurm-dir "$work/shards" --slurm-partition jtest \
  --slurm-time 00:05:00
"$jouleval" sweep --config sweep.toml --prepare-models >/dev/null
grep -qx '#SBATCH --array=0-3' job.sh || fail "job.sh is not an array of 4 tasks: $(cat job.sh)"

# Submits job.sh (sbatch's further arguments first) and waits for every task to leave the queue.
submit_and_wait() {
  local id
  id=$(sbatch --parsable "$@" job.sh) || fail "sbatch $* job.sh failed"
  job=${id%%;*}
  while [[ -n $(squeue -h -j "$job" -o %i 2>/dev/null) ]]; do
    ((SECONDS - start < budget)) || fail "job $job not done within the test's ${budget} s: $(squeue -j "$job")"
    sleep 0.5
  done
}
# Each line "task state exit" of job $job, sorted by task.
task_states() {
  scontrol -o show job "$job" | sed -E 's/.*ArrayTaskId=([0-9]+).*JobState=([A-Z_]+).*ExitCode=([0-9:]+).*/\1 \2 \3/' |
    sort -n
}

# The Slurm output file of task $1 of job $job reports $2 as its result and no error.
check_log() {
  local log=shards/logs/jouleval-sweep-${job}_$1.out
  [[ -f $log ]] || fail "no Slurm output file $log for task $1: $(ls shards/logs)"
  if grep -qE '^(jouleval|slurmstepd|slurmd|bash): error' "$log" || ! grep -qF "$2" "$log"; then
    fail "task $1's output $log does not report $2 without error:"$'\n'"$(cat "$log")"
  fi
}

submit_and_wait
states=$(task_states)
expected=$'0 COMPLETED 0:0\n1 COMPLETED 0:0\n2 COMPLETED 0:0\n3 COMPLETED 0:0'
[[ $states == "$expected" ]] || fail "array tasks (task state exit) are not all COMPLETED with 0:"$'\n'"$states"
for t in 0 1 2 3; do
  [[ -s shards/cell-$t.db ]] || fail "task $t wrote no shards/cell-$t.db"
  check_log "$t" "(1 new, 0 already done, 0 skipped, 0 failed)"
done
say "4 array tasks completed at $((SECONDS - start)) s"

# Every planned cell exactly once, with its 3 items, none twice.
check_merged() {
  local what=$1 cells items
  "$jouleval" merge shards/cell-*.db -o all.db >/dev/null
  cells=$("$jouleval" export all.db --format csv --columns model,precision,kv,placement,task,reps,items | sort)
  [[ $cells == "$(printf '%s\n' model,precision,kv,placement,task,reps,items \
    tiny,fp16,f16,cpu,arc_challenge,1,3 tiny,fp16,f16,cpu,hellaswag,1,3 \
    tiny,int8,f16,cpu,arc_challenge,1,3 tiny,int8,f16,cpu,hellaswag,1,3 | sort)" ]] ||
    fail "$what: the merged shards do not hold each of the 4 cells once:"$'\n'"$cells"
  items=$("$jouleval" export all.db --table items --format csv --columns precision,task,item_id | tail -n +2)
  [[ $(wc -l <<<"$items") -eq 12 ]] || fail "$what: expected 12 item records (4 cells x 3), got:"$'\n'"$items"
  [[ -z $(sort <<<"$items" | uniq -d) ]] || fail "$what: item records twice: $(sort <<<"$items" | uniq -d)"
  rm -f all.db
}
check_merged "after the array"

# A task resubmitted alone (docs/sweep.md) finds its cell done: it completes and runs nothing twice.
submit_and_wait --array=1
[[ $(task_states) == "1 COMPLETED 0:0" ]] || fail "resubmitted task 1: $(task_states)"
check_log 1 "(0 new, 1 already done, 0 skipped, 0 failed)"
check_merged "after resubmitting task 1"
say "passed in $((SECONDS - start)) s"
