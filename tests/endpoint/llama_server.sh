#!/usr/bin/env bash
# The endpoint backend against a real llama-server built from the pinned llama.cpp tree
# (docs/endpoint.md): starts it on 127.0.0.1 at a free port with the tiny synthetic model, waits
# for /health, runs `jouleval run --endpoint` on GSM8K sample items and checks the results and the
# stored cell, checks that loglikelihood tasks are refused up front (exit 4, naming the task) when
# the server cannot echo prompt logprobs, runs the same items through the chat API
# (--endpoint-api chat, another cell; when the server cannot answer chat for the tiny model the
# test says why and that the chat part was skipped), and stops the server by its pid. Bounded: every wait has
# a deadline. Skipped (exit 77) only when llama-server was not built and CI is not true (or
# JOULEVAL_SERVER_TESTS=0 turned it off, as in scripts/test.sh).
#
#   llama_server.sh JOULEVAL LLAMA_SERVER WORK_DIR
set -euo pipefail
jouleval=$1 server=$2 work=$3

if [[ -z $server || ! -x $server ]]; then
  if [[ ${CI:-} == true && ${JOULEVAL_SERVER_TESTS:-} != 0 ]]; then
    echo "FAIL: llama-server was not built (configure with -DJOULEVAL_LLAMA_SERVER=ON)" >&2
    exit 1
  fi
  echo "SKIP: llama-server was not built (configure with -DJOULEVAL_LLAMA_SERVER=ON)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
"$jouleval" synth --preset tiny --output "$work/tiny.gguf" --threads 2 --quiet

# A port nothing listens on (bash's /dev/tcp connects or fails at once on 127.0.0.1).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "FAIL: no free port found" >&2
  exit 1
}

# GET $1 on the server; prints the HTTP status line and body.
http_get() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
  reply=$(timeout 5 cat <&3) || true
  exec 3<&-
  printf '%s' "$reply"
}

# POST the JSON $2 to $1 on the server; prints the HTTP status line and body.
http_post() {
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' \
    "$1" "${#2}" "$2" >&3
  reply=$(timeout 60 cat <&3) || true
  exec 3<&-
  printf '%s' "$reply"
}

pid=
stop_server() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT

ready=false
for attempt in 1 2 3; do  # another process may take the port between the check and the bind
  port=$(free_port)
  "$server" -m "$work/tiny.gguf" --host 127.0.0.1 --port "$port" --alias tiny -c 2048 -np 2 -t 2 \
    >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do  # at most 60 s
    kill -0 "$pid" 2>/dev/null || break
    if http_get /health 2>/dev/null | grep -q '"ok"'; then
      ready=true
      break
    fi
    sleep 0.1
  done
  $ready && break
  stop_server
  echo "llama-server did not start (attempt $attempt):" >&2
  tail -5 "$work/server.log" >&2
done
$ready || { echo "FAIL: llama-server did not become ready" >&2; exit 1; }
url="http://127.0.0.1:$port"
echo "llama-server ready at $url (pid $pid)"

# Generation: GSM8K sample items through /v1/completions.
"$jouleval" run --endpoint "$url" --served-model tiny --task gsm8k --samples --limit 3 --repetitions 1 \
  --idle 0 --warmup 1 --min-window 0 --concurrency 2 --request-timeout 120 --db "$work/results.db" --json -q \
  >"$work/run.json"
grep -q '"model": *"tiny"' "$work/run.json" || { echo "FAIL: no cell of model tiny in:"; cat "$work/run.json"; exit 1; }
grep -q "\"placement\": *\"endpoint:127.0.0.1:$port\"" "$work/run.json" ||
  { echo "FAIL: the cell's placement is not the endpoint:"; cat "$work/run.json"; exit 1; }
# The stored cell: done, its identity, the server's kind and token counts from usage.
row=$(sqlite3 "$work/results.db" "select status || '|' || precision || '|' || kv_type from cells")
[[ $row == "done|served|server" ]] || { echo "FAIL: stored cell is '$row'"; exit 1; }
used=$(sqlite3 "$work/results.db" "select engine_used_json from cells")
[[ $used == *'"server":"llama.cpp"'* ]] || { echo "FAIL: server kind not recorded: $used"; exit 1; }
tokens=$(sqlite3 "$work/results.db" "select prompt_tokens > 0 and generated_tokens > 0 from repetitions")
[[ $tokens == 1 ]] || { echo "FAIL: token counts of the repetition: '$tokens'"; exit 1; }
# Latency under load (docs/endpoint.md): one summary of the 3 requests of the window, streamed or not.
latency=$(sqlite3 "$work/results.db" "select json_extract(summary, '$.requests') from request_latency")
[[ $latency == 3 ]] || { echo "FAIL: latency summary of the repetition: '$latency'"; exit 1; }
echo "streaming: $(sqlite3 "$work/results.db" "select json_extract(engine_used_json, '$.streaming') from cells")"
echo "generation: ok"

# Chat (docs/endpoint.md "Chat completions"): the same items as one user turn each, through the
# server's chat template (the tiny model has none: llama-server falls back to its default). Asked
# once by hand first: a server that cannot answer chat for this model skips this part, saying why.
chat_skipped=
probe=$(http_post /v1/chat/completions \
  '{"model":"tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"temperature":0}')
if [[ $(head -1 <<<"$probe") != *" 200"* || $probe != *'"choices"'* ]]; then
  chat_skipped="llama-server does not answer /v1/chat/completions for the tiny model: $(head -c 300 <<<"$probe" | tr '\r\n' '  ')"
  echo "chat: SKIPPED: $chat_skipped"
else
  "$jouleval" run --endpoint "$url" --served-model tiny --endpoint-api chat --task gsm8k --samples --limit 3 \
    --repetitions 1 --idle 0 --warmup 1 --min-window 0 --concurrency 2 --request-timeout 120 \
    --db "$work/results.db" --json -q >"$work/chat.json"
  # Another cell than the completions cell: two done cells, the chat one recording its API.
  rows=$(sqlite3 "$work/results.db" "select group_concat(endpoint_api || ':' || status, ',') from
    (select endpoint_api, status from cells order by endpoint_api)")
  [[ $rows == "chat:done,completions:done" ]] || { echo "FAIL: cells after the chat run: '$rows'"; exit 1; }
  api=$(sqlite3 "$work/results.db" "select json_extract(engine_used_json, '$.api') || '|' ||
    json_extract(engine_used_json, '$.chat_template') from cells where endpoint_api = 'chat'")
  [[ $api == "/v1/chat/completions|server's (one user turn per request)" ]] ||
    { echo "FAIL: the chat cell's engine record: '$api'"; exit 1; }
  tokens=$(sqlite3 "$work/results.db" "select r.prompt_tokens > 0 and r.generated_tokens > 0 from repetitions r
    join cells c on c.id = r.cell_id where c.endpoint_api = 'chat'")
  [[ $tokens == 1 ]] || { echo "FAIL: token counts of the chat repetition: '$tokens'"; exit 1; }
  latency=$(sqlite3 "$work/results.db" "select json_extract(l.summary, '$.requests') from request_latency l
    join repetitions r on r.id = l.repetition_id join cells c on c.id = r.cell_id where c.endpoint_api = 'chat'")
  [[ $latency == 3 ]] || { echo "FAIL: latency summary of the chat repetition: '$latency'"; exit 1; }
  echo "chat streaming: $(sqlite3 "$work/results.db" "select json_extract(engine_used_json, '$.streaming') from
    cells where endpoint_api = 'chat'")"
  echo "chat: ok"
fi

# Loglikelihood: this llama-server refuses echo; the run must stop before anything (exit 4).
set +e
"$jouleval" run --endpoint "$url" --served-model tiny --task hellaswag --samples --limit 2 --repetitions 1 \
  --idle 0 --db "$work/ll.db" -q 2>"$work/ll.err"
status=$?
set -e
if [[ $status == 0 ]]; then
  echo "loglikelihood: supported by this llama-server (echo with prompt logprobs)"
elif [[ $status == 4 ]] && grep -q "cannot score loglikelihood tasks (hellaswag)" "$work/ll.err"; then
  echo "loglikelihood: unsupported by this llama-server: $(cat "$work/ll.err")"
  [[ ! -e $work/ll.db ]] || { echo "FAIL: a database was made for a refused run"; exit 1; }
else
  echo "FAIL: loglikelihood run exited $status:"
  cat "$work/ll.err"
  exit 1
fi
stop_server
if [[ -n $chat_skipped ]]; then
  echo "PASS (the chat part was skipped: $chat_skipped)"
else
  echo "PASS"
fi
