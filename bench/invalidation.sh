#!/usr/bin/env bash
# Invalidation while requests are served: L1-hit latency (wrk, one fixed body, 32 connections)
# in rounds without any invalidation and rounds during which POST /admin/cache/invalidate removes
# ENTRIES entries (L2 rows seeded by SQL, their L1 keys by redis-cli) in bounded batches. Target:
# p50/p99 of the hits unaffected, the count exact. Alternating rounds, medians.
#
# Usage: bash bench/invalidation.sh   Results: bench/results/invalidation-<timestamp>.json
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-3}"
ROUND_SECONDS="${ROUND_SECONDS:-20}"
ENTRIES="${ENTRIES:-100000}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
HIT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"What is the capital of France?"}]}'

bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
create_db
flush_redis
MACHINE="$(machine_json)"
start_stub "$STUB_PORT" 5 1 0
start_strata "$STUB_PORT" -Dstrata.api.admin-token=bench-admin
STRATA_URL="http://127.0.0.1:$STRATA_PORT/v1/chat/completions"
cat >"$RUN_DIR/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [==[$HIT_BODY]==]
wrk.headers["Content-Type"] = "application/json"
LUA
for _ in 1 2 3 4; do curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$HIT_BODY" "$STRATA_URL"; sleep 0.3; done
wrk -t2 -c"$WRK_CONNECTIONS" -d10s -s "$RUN_DIR/post.lua" "$STRATA_URL" >/dev/null # warm-up

seed() { # ENTRIES rows in namespace "inv" and their L1 keys
    psql -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$BENCH_DB" -c "
        INSERT INTO strata_cache_entries (cache_key, scope, namespace, endpoint, created_at, expires_at, stale_until, size_bytes, body)
        SELECT md5('$1' || i) || md5(i || '$1'), 'anonymous', 'inv', 'chat.completions', now(), now() + interval '1 hour',
               now() + interval '1 day', 800, convert_to(repeat('x', 800), 'UTF8') FROM generate_series(1, $ENTRIES) i"
    psql -At -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$BENCH_DB" -c "SELECT cache_key FROM strata_cache_entries WHERE namespace = 'inv'" \
        | awk '{printf "*3\r\n$3\r\nSET\r\n$%d\r\nstrata:v1:%s\r\n$800\r\n%s\r\n", length($1) + 10, $1, sprintf("%800s", "")}' \
        | redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --pipe >/dev/null
}

wrk_round() { # LABEL: one JSON line
    local out p50 p99 rps
    out="$(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${ROUND_SECONDS}s" --latency -s "$RUN_DIR/post.lua" "$STRATA_URL")"
    p50="$(echo "$out" | awk '$1 == "50%" {print $2}')"; p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    rps="$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
    jq -n -c --arg l "$1" --arg p50 "$p50" --arg p99 "$p99" --argjson rps "$rps" '{label: $l, p50: $p50, p99: $p99, rps: $rps}'
}

: >"$RUN_DIR/rounds.jsonl"
for r in $(seq 1 "$ROUNDS"); do
    wrk_round "quiet" >>"$RUN_DIR/rounds.jsonl"
    seed "r$r"
    sleep 1
    ( sleep 2; start=$(date +%s%N)
      answer="$(curl -s -X POST -H 'Authorization: Bearer bench-admin' -H 'Content-Type: application/json' \
          -d '{"namespace":"inv"}' "http://127.0.0.1:$STRATA_PORT/admin/cache/invalidate")"
      echo "{\"round\": $r, \"answer\": $answer, \"ms\": $((($(date +%s%N) - start) / 1000000))}" >>"$RUN_DIR/invalidations.jsonl" ) &
    INVALIDATOR=$!
    wrk_round "invalidating" >>"$RUN_DIR/rounds.jsonl"
    wait "$INVALIDATOR" # only this one: the stub and Strata are children too
    left="$(psql -At -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$BENCH_DB" -c "SELECT count(*) FROM strata_cache_entries WHERE namespace = 'inv'")"
    echo "{\"round\": $r, \"l2_rows_left\": $left}" >>"$RUN_DIR/invalidations.jsonl"
done
RESULT="$RESULTS_DIR/invalidation-$TS.json"
jq -n --argjson machine "$MACHINE" --slurpfile rounds "$RUN_DIR/rounds.jsonl" --slurpfile inv "$RUN_DIR/invalidations.jsonl" \
    --argjson entries "$ENTRIES" '{machine: $machine, entries: $entries, rounds: $rounds, invalidations: $inv}' | tee "$RESULT"
