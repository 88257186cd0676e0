#!/usr/bin/env bash
# History benchmark (target: 5,000 records/s sustained, none lost
# through a 30 s Postgres outage). Every request through Strata makes one history record, so the
# record rate is the request rate Strata sustains with history on; the baseline, measured in the
# same run, is the same load with history off. Then the same load runs through a Postgres outage
# (the machine's own cluster is stopped and started again) and the records are counted.
#
#   bash bench/history.sh                       # full run (60 s load, 30 s outage)
#   HISTORY_DURATION_S=20 HISTORY_OUTAGE_S=8 bash bench/history.sh    # quick check
#
# Needs wrk (apt-get install wrk), and root to stop/start PostgreSQL with pg_ctlcluster.
source "$(dirname "$0")/lib.sh"

DURATION_S="${HISTORY_DURATION_S:-60}"
OUTAGE_S="${HISTORY_OUTAGE_S:-30}"
OUTAGE_AFTER_S="${HISTORY_OUTAGE_AFTER_S:-10}"
STEADY_S="${HISTORY_STEADY_S:-20}"
CONNECTIONS="${HISTORY_CONNECTIONS:-16}"
QUEUE="${HISTORY_QUEUE_CAPACITY:-400000}"
# The outage phase is paced near the target's 5,000 records/s: each connection waits this long between
# requests (wrk's delay()); the achieved rate is reported. 0: as fast as Strata answers.
OUTAGE_CONNECTIONS="${HISTORY_OUTAGE_CONNECTIONS:-20}"
OUTAGE_DELAY_MS="${HISTORY_OUTAGE_DELAY_MS:-3}"
PG_CLUSTER="${PG_CLUSTER:-$(ls /etc/postgresql 2>/dev/null | head -1) main}"

bench_init
command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
command -v pg_ctlcluster >/dev/null || die "pg_ctlcluster is required to stop and start PostgreSQL"
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
create_db
start_stub "$STUB_PORT" 0 1 0

pg_up() { pg_ctlcluster --skip-systemctl-redirect $PG_CLUSTER start >/dev/null 2>&1 || true; }
trap 'pg_up; cleanup' EXIT

# wrk posting one chat body (an L1 hit after the first) in session $1, pausing $2 ms between requests
lua() {
    cat >"$RUN_DIR/post-$1.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"gpt-bench","temperature":0.2,"messages":[{"role":"user","content":"history bench"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Session-Id"] = "$1"
function delay() return ${2:-0} end
LUA
    echo "$RUN_DIR/post-$1.lua"
}

# load SESSION SECONDS [CONNECTIONS DELAY_MS] -> prints "requests rps non2xx"
load() {
    local out="$RUN_DIR/wrk-$1.txt"
    wrk -t2 -c"${3:-$CONNECTIONS}" -d"$2"s --timeout 10s -s "$(lua "$1" "${4:-0}")" "http://127.0.0.1:$STRATA_PORT/v1/chat/completions" >"$out"
    local requests rps errors
    requests=$(awk '/requests in/ {print $1}' "$out")
    rps=$(awk '/Requests\/sec/ {print $2}' "$out")
    errors=$(awk '/Non-2xx/ {print $5}' "$out")
    echo "$requests $rps ${errors:-0}"
}

records() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$BENCH_DB" -Atc \
        "select count(*) from strata_history where session_id = '$1'" 2>/dev/null || echo -1
}

metric() {
    curl -sf "http://127.0.0.1:$STRATA_MGMT_PORT/q/metrics" | awk -v m="$1" '$1 == m {print $2}'
}

await_drained() {
    local i
    for i in $(seq 1 600); do
        [[ "$(metric strata_history_queue_size)" == "0.0" ]] && return 0
        sleep 0.5
    done
    log "history queue not drained after 300 s"
}

stop_strata() {
    kill -TERM "$STRATA_PID" && wait "$STRATA_PID" 2>/dev/null || true
}

curl -sf -o /dev/null "http://127.0.0.1:$STUB_PORT/stats"

log "baseline: history off, ${STEADY_S}s"
start_strata "$STUB_PORT" -Dstrata.history.mode=off
load warm-off 3 >/dev/null
read -r base_requests base_rps base_errors < <(load base "$STEADY_S")
stop_strata

log "steady: history on, ${STEADY_S}s"
start_strata "$STUB_PORT" -Dstrata.history.writer.queue-capacity="$QUEUE"
load warm-on 3 >/dev/null
read -r steady_requests steady_rps steady_errors < <(load steady "$STEADY_S")
await_drained
steady_records=$(records steady)
steady_rss=$(rss_mb "$STRATA_PID")

log "outage: ${DURATION_S}s of load, Postgres down from ${OUTAGE_AFTER_S}s for ${OUTAGE_S}s"
load outage "$DURATION_S" "$OUTAGE_CONNECTIONS" "$OUTAGE_DELAY_MS" >"$RUN_DIR/outage-result.txt" &
LOAD_PID=$!
sleep "$OUTAGE_AFTER_S"
pg_ctlcluster $PG_CLUSTER stop -m fast
log "PostgreSQL stopped"
peak_queue=0
peak_rss=0
for _ in $(seq 1 "$OUTAGE_S"); do
    sleep 1
    q=$(metric strata_history_queue_size); q=${q%.*}
    r=$(rss_mb "$STRATA_PID"); r=${r%.*}
    ((q > peak_queue)) && peak_queue=$q
    ((r > peak_rss)) && peak_rss=$r
done
pg_up
log "PostgreSQL started"
wait "$LOAD_PID"
read -r outage_requests outage_rps outage_errors <"$RUN_DIR/outage-result.txt"
await_drained
outage_records=$(records outage)
dropped=$(metric strata_history_dropped_total)
retried=$(metric strata_history_retried_total)

result=$(jq -n \
    --argjson machine "$(machine_json)" \
    --argjson base_rps "$base_rps" --argjson steady_rps "$steady_rps" --argjson outage_rps "$outage_rps" \
    --argjson steady_requests "$steady_requests" --argjson steady_records "$steady_records" \
    --argjson outage_requests "$outage_requests" --argjson outage_records "$outage_records" \
    --argjson steady_errors "$steady_errors" --argjson outage_errors "$outage_errors" \
    --argjson dropped "${dropped:-0}" --argjson retried "${retried:-0}" \
    --argjson peak_queue "$peak_queue" --argjson peak_rss "$peak_rss" --argjson steady_rss "$steady_rss" \
    --argjson duration "$DURATION_S" --argjson outage "$OUTAGE_S" --argjson steady "$STEADY_S" --argjson connections "$CONNECTIONS" \
    '{machine: $machine, connections: $connections,
      baseline_history_off: {requests_per_s: $base_rps},
      steady_history_on: {requests_per_s: $steady_rps, records_per_s: ($steady_records / $steady), requests: $steady_requests,
                          records: $steady_records, lost: ($steady_requests - $steady_records), non_2xx: $steady_errors,
                          rss_mb: $steady_rss, ratio_to_history_off: (($steady_rps / $base_rps * 1000 | round) / 1000)},
      postgres_outage: {seconds: $outage, load_seconds: $duration, requests_per_s: $outage_rps, requests: $outage_requests,
                        records: $outage_records, lost: ($outage_requests - $outage_records), non_2xx: $outage_errors,
                        dropped_metric: $dropped, retried_batches: $retried, peak_queue: $peak_queue, peak_rss_mb: $peak_rss}}')
echo "$result" >"$RESULTS_DIR/history-$TS.json"
echo "$result" | jq .
