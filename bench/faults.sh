#!/usr/bin/env bash
# Fault-injection run (issue "Hardening"): the packaged jar with the chart's JVM preset, the local
# Redis and Postgres reached through TCP fault proxies (bench/faults/FaultProxy.java: the shared
# servers themselves are never stopped), the stub provider, and FAULTS_CLIENTS clients posting chat
# requests (hits and misses) for FAULTS_SECONDS per phase:
#
#   kill     Redis down for 10 s, then Postgres down for 10 s (connections closed, new ones refused)
#   freeze   Redis frozen for 10 s, then Postgres frozen for 10 s (connections accepted, nothing answered)
#   poison   one request in four carries what Postgres cannot store as it is
#   bodies   20 concurrent 7.9 MB bodies (each under the 8 MB limit) against the 128 MB heap
#   slow     200 idle connections, a body at 1 byte/s, headers at 1 byte/s on a new and on a kept-alive connection
#   sigterm  SIGTERM under load: misses waiting 1.5 s for the provider and hits, on kept-alive connections
#
# After each load phase, once the history queue is empty, the records of the phase's session are
# counted in Postgres: every answer that carries an X-Request-Id must have its record, unless
# counted in strata_history_dropped_total. Figures: bench/results/faults-<timestamp>.json.
#
#   bash bench/faults.sh                      # 24 clients, 45 s a phase
#   FAULTS_SECONDS=20 bash bench/faults.sh    # quicker
source "$(dirname "$0")/lib.sh"

CLIENTS="${FAULTS_CLIENTS:-24}"
SECONDS_PER_PHASE="${FAULTS_SECONDS:-45}"
REDIS_PROXY_PORT="${REDIS_PROXY_PORT:-18379}"
PG_PROXY_PORT="${PG_PROXY_PORT:-18432}"
REDIS_CONTROL_PORT="${REDIS_CONTROL_PORT:-18391}"
PG_CONTROL_PORT="${PG_CONTROL_PORT:-18392}"
# The read deadlines are shortened for the slow phase only so that it fits in the run; the
# defaults (60 s, 60 s, 75 s) behave the same, later.
SLOW_TIMEOUT_S="${FAULTS_SLOW_TIMEOUT_S:-10}"
# The fault schedule of the kill and freeze phases scales with the phase so that it ends inside it:
# Redis faulty from FAULT_S to 2 FAULT_S, Postgres from 2.5 FAULT_S to 3.5 FAULT_S (10 s each, 35 s
# in all, in a 45 s phase), the load still running for the last (phase - 3.5 FAULT_S) seconds.
FAULT_S=$(((SECONDS_PER_PHASE - 5) / 4))
GAP_S=$((FAULT_S / 2))
((FAULT_S >= 2)) || die "FAULTS_SECONDS must be at least 13"
SCHEDULE_PID=""

bench_init
command -v python3 >/dev/null || die "python3 is required"
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT" "$REDIS_PROXY_PORT" "$PG_PROXY_PORT" "$REDIS_CONTROL_PORT" "$PG_CONTROL_PORT"
compile_tools
javac -d "$CLASSES" "$BENCH_DIR/faults/FaultProxy.java" "$BENCH_DIR/faults/FaultLoad.java"
prepare_app
create_db
start_stub "$STUB_PORT" 50 1 0

start_proxy() { # NAME LISTEN TARGET CONTROL
    java -cp "$CLASSES" FaultProxy --listen "$2" --target "$3" --control "$4" >"$RUN_DIR/proxy-$1.log" 2>&1 &
    PIDS+=("$!")
    local i
    for i in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$4/status" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "fault proxy $1 did not start"
}
fault() { curl -sf "http://127.0.0.1:$1/$2" >/dev/null; log "fault: $3 $2"; }
start_proxy redis "$REDIS_PROXY_PORT" "$REDIS_HOST:$REDIS_PORT" "$REDIS_CONTROL_PORT"
start_proxy postgres "$PG_PROXY_PORT" "$PG_HOST:$PG_PORT" "$PG_CONTROL_PORT"

# Keys of this run only (Redis is shared with other benchmarks): L1 entries under a prefix of their own.
KEY_PREFIX="strata:faults:$$:"
flush_redis() {
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "${KEY_PREFIX}*" \
        | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null
}

strata_through_proxies() {
    start_strata "$STUB_PORT" -Dstrata.cache.l1.key-prefix="$KEY_PREFIX" -Dquarkus.redis.hosts="redis://127.0.0.1:$REDIS_PROXY_PORT" \
        -Dquarkus.datasource.reactive.url="postgresql://127.0.0.1:$PG_PROXY_PORT/$BENCH_DB" \
        -Dstrata.api.header-timeout="${SLOW_TIMEOUT_S}s" -Dstrata.api.body-timeout="${SLOW_TIMEOUT_S}s" \
        -Dstrata.api.keep-alive-timeout="${SLOW_TIMEOUT_S}s" "$@"
}

metric() { # sum of the samples of one metric name
    curl -sf "http://127.0.0.1:$STRATA_MGMT_PORT/q/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%d\n", s}'
}

records_of() { # records stored for a session (read from Postgres directly, not through the proxy)
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$BENCH_DB" -Atc "SELECT count(*) FROM strata_history WHERE session_id = '$1'"
}

await_queue_empty() {
    local i
    for i in $(seq 1 600); do
        [[ "$(metric strata_history_queue_size)" == "0" ]] && return 0
        sleep 0.1
    done
    log "history queue not empty after 60 s"
}

PHASES="[]"
# load_phase NAME [FaultLoad options...]: runs the load, then checks records; the faults are scheduled by the caller
load_phase() {
    local name="$1" session="fault-$1-$TS"
    shift
    local dropped_before
    dropped_before="$(metric strata_history_dropped_total)"
    run_child "$RUN_DIR/load-$name.json" java -cp "$CLASSES" FaultLoad --url "http://127.0.0.1:$STRATA_PORT" --clients "$CLIENTS" \
        --seconds "$SECONDS_PER_PHASE" --session "$session" "$@"
    # 1 s after the load ended no flight is running: any lock still in Redis is held by nobody
    sleep 1
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern 'strata:lock:*' | wc -l | tr -d ' ' >"$RUN_DIR/locks-after-$name.txt"
    if [[ -n "$SCHEDULE_PID" ]]; then # the phase's faults end in the phase: the schedule is over (it fits in it) before the next one
        wait "$SCHEDULE_PID" 2>/dev/null || true
        SCHEDULE_PID=""
    fi
    await_queue_empty
    local load records dropped
    load="$(cat "$RUN_DIR/load-$name.json")"
    records="$(records_of "$session")"
    dropped=$(($(metric strata_history_dropped_total) - dropped_before))
    PHASES="$(jq --arg name "$name" --argjson load "$load" --argjson records "$records" --argjson dropped "$dropped" \
        --argjson counters "$(strata_counters)" \
        '. + [{phase: $name, load: $load, records: $records, dropped_counted: $dropped,
               failed_requests: ($load.io_errors + ([$load.statuses | to_entries[] | select((.key | tonumber) >= 500) | .value] | add // 0)),
               lost_uncounted_records: ($load.answered_with_id - $records - $dropped), counters: $counters}]' <<<"$PHASES")"
    log "phase $name: $(jq -c '.[-1] | {failed_requests, lost_uncounted_records, records, dropped_counted, statuses: .load.statuses, errors: .load.errors}' <<<"$PHASES")"
}

strata_through_proxies

# kill: Redis, then Postgres, down for FAULT_S each (10 s in a 45 s phase)
( sleep "$FAULT_S"; fault "$REDIS_CONTROL_PORT" down redis; sleep "$FAULT_S"; fault "$REDIS_CONTROL_PORT" up redis
  sleep "$GAP_S"; fault "$PG_CONTROL_PORT" down postgres; sleep "$FAULT_S"; fault "$PG_CONTROL_PORT" up postgres ) &
SCHEDULE_PID=$!
PIDS+=("$SCHEDULE_PID")
load_phase kill

# freeze: Redis, then Postgres, frozen for FAULT_S each
# 1 s after the thaw, the single-flight locks in Redis: at most one per request in flight (24), not
# the thousands of orphans a freeze used to leave (each holding a later miss on its key for the lock's TTL)
( sleep "$FAULT_S"; fault "$REDIS_CONTROL_PORT" freeze redis; sleep "$FAULT_S"; fault "$REDIS_CONTROL_PORT" thaw redis
  sleep 1; redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern 'strata:lock:*' | wc -l | tr -d ' ' >"$RUN_DIR/locks-after-thaw.txt"
  sleep $((GAP_S > 1 ? GAP_S - 1 : 0)); fault "$PG_CONTROL_PORT" freeze postgres; sleep "$FAULT_S"; fault "$PG_CONTROL_PORT" thaw postgres ) &
SCHEDULE_PID=$!
PIDS+=("$SCHEDULE_PID")
load_phase freeze

ORPHAN_LOCKS="$(cat "$RUN_DIR/locks-after-thaw.txt" 2>/dev/null || echo null)"
ORPHANS_AFTER_LOAD="$(cat "$RUN_DIR/locks-after-freeze.txt" 2>/dev/null || echo null)"
log "single-flight locks 1 s after the Redis thaw (flights still running): $ORPHAN_LOCKS; 1 s after the load ended (orphans): $ORPHANS_AFTER_LOAD"

load_phase poison --poison

# bodies: 20 concurrent bodies of 7.9 MB
python3 - "$RUN_DIR/big.json" <<'PY'
import sys
open(sys.argv[1], "w").write('{"model":"gpt-bench","messages":[{"role":"user","content":"' + "b" * (7_900_000) + '"}]}')
PY
for i in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -H "X-Session-Id: fault-bodies-$TS" \
        --data-binary @"$RUN_DIR/big.json" "http://127.0.0.1:$STRATA_PORT/v1/chat/completions" >"$RUN_DIR/bodies-$i.txt" &
done
sleep 1; while (( $(ls "$RUN_DIR"/bodies-*.txt | xargs cat | wc -l) < 20 )); do sleep 0.5; done
BODIES="$(cat "$RUN_DIR"/bodies-*.txt | sort | uniq -c | awk '{printf "%s{\"%s\":%s}", (NR > 1 ? "," : ""), $2, $1}' | sed 's/^/[/; s/$/]/' | jq -c 'add')"
kill -0 "$STRATA_PID" 2>/dev/null && ALIVE=true || ALIVE=false
log "bodies: statuses $BODIES, Strata alive: $ALIVE, RSS peak $(rss_peak_mb "$STRATA_PID") MB"

# slow: 200 idle connections, a trickled body, trickled headers on a new connection and after a first request
SLOW="$(python3 - "$STRATA_PORT" "$SLOW_TIMEOUT_S" <<'PY'
import socket, sys, time, json, threading
port, timeout = int(sys.argv[1]), float(sys.argv[2])
def closed_after(sock, limit):
    sock.settimeout(limit)
    start = time.time()
    try:
        while sock.recv(65536):
            pass
    except Exception:
        return None
    return round(time.time() - start, 1)
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
start = time.time()
body = socket.create_connection(("127.0.0.1", port))
body.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
def trickle(sock, data):
    for b in data:
        try:
            sock.sendall(bytes([b])); time.sleep(1)
        except Exception:
            return
threading.Thread(target=trickle, args=(body, b"x" * 1000), daemon=True).start()
kept = socket.create_connection(("127.0.0.1", port))
kept.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.5); kept.recv(65536)
threading.Thread(target=trickle, args=(kept, b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000), daemon=True).start()
fresh = socket.create_connection(("127.0.0.1", port))  # headers trickled on a connection's first request
threading.Thread(target=trickle, args=(fresh, b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000), daemon=True).start()
limit = timeout * 3
answer = b""
body.settimeout(limit)
try:
    answer = body.recv(200)
except Exception:
    pass
body_s = round(time.time() - start, 1)
idle_closed = sum(1 for s in idle if closed_after(s, max(0.1, limit - (time.time() - start))) is not None)
kept_s = closed_after(kept, max(0.1, limit - (time.time() - start)))
fresh_s = closed_after(fresh, max(0.1, limit - (time.time() - start)))
print(json.dumps({"first_request_trickled_headers_closed": fresh_s is not None, "idle_connections": 200, "idle_closed": idle_closed, "slow_body_answer": answer.split(b"\r\n")[0].decode(),
                  "slow_body_cut_after_s": body_s, "trickled_headers_closed": kept_s is not None, "within_s": round(time.time() - start, 1)}))
PY
)"
log "slow: $SLOW"

# sigterm: continuous load across SIGTERM, with prompts no earlier phase cached: the first request of
# each prompt a miss that waits 1.5 s for the stub, its repeats hits (or coalesced on the miss), so
# misses are in flight and hits arrive back to back when the signal comes, 8 s into the load.
# Clients stop at their first refusal (503 shutting_down, or no connection), as they would move to
# another instance; an I/O error (a reset, a connection closed under a request) is a failure.
SESSION="fault-sigterm-$TS"
java -cp "$CLASSES" FaultLoad --url "http://127.0.0.1:$STRATA_PORT" --clients "$CLIENTS" --seconds 30 --session "$SESSION" \
    --prompt-prefix "sigterm $TS $$ prompt" --prompts 400 --latency-ms 1500 --stop-on-refusal >"$RUN_DIR/load-sigterm.json" &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
sleep 8
log "SIGTERM under load"
SIGTERM_AT=$(date +%s%N)
kill -TERM "$STRATA_PID"
wait "$STRATA_PID" 2>/dev/null || true
EXIT_MS=$((($(date +%s%N) - SIGTERM_AT) / 1000000))
wait "$LOAD_PID" || true
SIGTERM_LOAD="$(cat "$RUN_DIR/load-sigterm.json")"
SIGTERM_RECORDS="$(records_of "$SESSION")"
SHUTDOWN_LOG="$(grep -E 'Shutdown drain done|Shutdown grace' "$RUN_DIR/strata.log" | tail -1 | sed -E 's/^.*\] \([^)]*\) //' | cut -c1-240)"
HISTORY_LOG="$(grep -E 'History (queue drained|shutdown grace)' "$RUN_DIR/strata.log" | tail -1 | sed -E 's/^.*\] \([^)]*\) //' | cut -c1-240)"
# Exceptions nobody handled, over the whole run (vertx-sql-client#1706 logged one per query failed while Postgres was away)
UNHANDLED="$(grep -cE 'Unhandled exception|Result is already complete' "$RUN_DIR/strata.log" || true)"
log "sigterm: $SIGTERM_LOAD, records $SIGTERM_RECORDS, exit after $EXIT_MS ms, log: $SHUTDOWN_LOG / $HISTORY_LOG"

OUT="$RESULTS_DIR/faults-$TS.json"
jq -n --argjson machine "$(machine_json)" --argjson phases "$PHASES" --argjson orphans "$ORPHAN_LOCKS" --argjson orphansAfterLoad "$ORPHANS_AFTER_LOAD" \
    --argjson bodies "$BODIES" --argjson alive "$ALIVE" --argjson slow "$SLOW" \
    --argjson sigterm "$SIGTERM_LOAD" --argjson records "$SIGTERM_RECORDS" --arg shutdown "$SHUTDOWN_LOG" \
    --arg history "$HISTORY_LOG" --argjson exit_ms "$EXIT_MS" --argjson unhandled "${UNHANDLED:-0}" \
    --argjson clients "$CLIENTS" --argjson seconds "$SECONDS_PER_PHASE" --arg jvm "$STRATA_JAVA_OPTS" \
    '{machine: $machine, clients: $clients, seconds_per_phase: $seconds, jvm: $jvm, phases: $phases,
      locks_1s_after_redis_thaw: $orphans, locks_1s_after_load_ended: $orphansAfterLoad, bodies: {statuses: $bodies, strata_alive: $alive}, slow: $slow, unhandled_exceptions_logged: $unhandled,
      sigterm: {load: $sigterm, records: $records, shutdown_log: $shutdown, history_log: $history, exit_ms: $exit_ms,
                failed_requests: ($sigterm.io_errors + ([$sigterm.statuses | to_entries[] | select((.key | tonumber) >= 500) | .value] | add // 0)),
                lost_uncounted_records: ($sigterm.answered_with_id - $records)}}' >"$OUT"
log "results: $OUT"
jq -c '{phases: [.phases[] | {phase, failed_requests, lost_uncounted_records}], locks_1s_after_redis_thaw, locks_1s_after_load_ended, bodies, slow, unhandled_exceptions_logged,
        sigterm: {failed_requests: .sigterm.failed_requests, lost_uncounted_records: .sigterm.lost_uncounted_records, exit_ms: .sigterm.exit_ms}}' "$OUT"
