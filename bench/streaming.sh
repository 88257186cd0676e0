#!/usr/bin/env bash
# Streaming benchmark (targets: time to first byte adds under 1 ms; 1,000 concurrent streams hold).
#
#   (a) time to first byte (first `data:` line) of streamed misses, through Strata vs calling the
#       stub directly: alternating rounds direct, strata, direct, strata, ...; median of rounds of
#       p50 and p99, the ratio strata/direct and the milliseconds added;
#   (b) HOLD_STREAMS concurrent streams (50 chunks 100 ms apart) held to their end, directly (the
#       baseline: how long they take when nothing is in between) and through Strata: successes,
#       time, Strata's peak RSS;
#   (c) Strata's RSS at idle after start (and again after the load), for reference.
#
# Usage: bash bench/streaming.sh        (environment variables below; short check: see bench/README.md)
# Strata runs with its default configuration and the JVM preset of lib.sh (JVM_PRESET_OPTS).
# Results: bench/results/streaming-<timestamp>.json (or BENCH_RESULT_FILE), with the key figures in
# its `summary` object; a summary on stdout, logs in /tmp/strata-bench-*.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-5}"                          # rounds per side for (a)
STREAM_CHUNKS="${STREAM_CHUNKS:-50}"           # content chunks per stream
TTFB_CONCURRENCY="${TTFB_CONCURRENCY:-16}"     # concurrent streams in (a)
TTFB_REQUESTS="${TTFB_REQUESTS:-400}"          # measured streams per round in (a)
TTFB_WARMUP="${TTFB_WARMUP:-600}"              # unmeasured streams before each round (warms both JVMs)
TTFB_LATENCY_MS="${TTFB_LATENCY_MS:-0}"        # stub delay before the first byte in (a)
TTFB_CHUNK_DELAY_MS="${TTFB_CHUNK_DELAY_MS:-10}" # stub delay between chunks in (a)
HOLD_STREAMS="${HOLD_STREAMS:-1000}"           # concurrent streams in (b)
HOLD_CHUNK_DELAY_MS="${HOLD_CHUNK_DELAY_MS:-100}"
HOLD_DIRECT="${HOLD_DIRECT:-1}"                # 1: also hold the streams against the stub directly (baseline)
HOLD_MAX_SECONDS="${HOLD_MAX_SECONDS:-300}"    # give up waiting for held streams after this
HOLD_UPSTREAM_MAX_CONNECTIONS="${HOLD_UPSTREAM_MAX_CONNECTIONS:-}" # empty: Strata's default (strata.upstream.max-connections)
IDLE_SETTLE_S="${IDLE_SETTLE_S:-5}"            # wait before reading idle RSS
ROUND_MAX_SECONDS="${ROUND_MAX_SECONDS:-300}"  # a round stops issuing requests after this

bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
create_db
flush_redis

MACHINE="$(machine_json)"
# The stub's command line has the hold shape; the TTFB rounds set theirs per request (X-Stub-* headers).
start_stub "$STUB_PORT" 0 "$STREAM_CHUNKS" "$HOLD_CHUNK_DELAY_MS"
strata_opts=()
[[ -n "$HOLD_UPSTREAM_MAX_CONNECTIONS" ]] && strata_opts+=("-Dstrata.upstream.max-connections=$HOLD_UPSTREAM_MAX_CONNECTIONS")
start_strata "$STUB_PORT" "${strata_opts[@]}"

DIRECT_URL="http://127.0.0.1:$STUB_PORT/v1/chat/completions"
STRATA_URL="http://127.0.0.1:$STRATA_PORT/v1/chat/completions"

# ---- (c) idle RSS after start ----
sleep "$IDLE_SETTLE_S"
IDLE_RSS_START="$(rss_mb "$STRATA_PID")"
log "(c) Strata RSS at idle after start: $IDLE_RSS_START MB"

bench() { # bench LABEL URL [StreamBench options...]: one JSON line in $RUN_DIR/round.json
    local label="$1" url="$2" max
    shift 2
    max=$((ROUND_MAX_SECONDS + 180))
    run_child "$RUN_DIR/round.json" timeout --signal=KILL "$max" java -cp "$CLASSES" StreamBench --label "$label" --url "$url" "$@"
}

# ---- (a) time to first byte, alternating rounds ----
TTFB_FILE="$RUN_DIR/ttfb.jsonl"
: >"$TTFB_FILE"
log "(a) TTFB: $ROUNDS rounds per side, $TTFB_REQUESTS streams at concurrency $TTFB_CONCURRENCY (+$TTFB_WARMUP warm-up), $STREAM_CHUNKS chunks ${TTFB_CHUNK_DELAY_MS} ms apart, stub latency ${TTFB_LATENCY_MS} ms"
for round in $(seq 1 "$ROUNDS"); do
    for side in direct strata; do
        url="$DIRECT_URL"
        [[ "$side" == strata ]] && url="$STRATA_URL"
        bench "$side" "$url" --concurrency "$TTFB_CONCURRENCY" --requests "$TTFB_REQUESTS" --warmup "$TTFB_WARMUP" \
            --expect-chunks "$STREAM_CHUNKS" --max-seconds "$ROUND_MAX_SECONDS" --pid "$STRATA_PID" \
            --header "X-Stub-Latency-Ms: $TTFB_LATENCY_MS" --header "X-Stub-Chunk-Delay-Ms: $TTFB_CHUNK_DELAY_MS" \
            --header "X-Stub-Chunks: $STREAM_CHUNKS"
        line="$(jq -c --argjson round "$round" --arg load "$(cut -d' ' -f1 /proc/loadavg)" '. + {round: $round, load: ($load | tonumber)}' "$RUN_DIR/round.json")"
        echo "$line" >>"$TTFB_FILE"
        echo "$line" | jq -r '"  round \(.round) \(.label | (. + "      ")[0:6]) ok \(.ok)/\(.requests)  ttfb p50 \(.ttfb_ms.p50) p99 \(.ttfb_ms.p99) ms  total p50 \(.total_ms.p50) ms  \(.throughput_rps) streams/s  \(.cache_status | tostring)  load \(.load)"' >&2
    done
done

side_median() { # side_median SIDE JQ_PATH
    jq -r --arg side "$1" "select(.label == \$side) | $2" "$TTFB_FILE" | median
}
D_P50="$(side_median direct .ttfb_ms.p50)"
S_P50="$(side_median strata .ttfb_ms.p50)"
D_P99="$(side_median direct .ttfb_ms.p99)"
S_P99="$(side_median strata .ttfb_ms.p99)"
D_TOT="$(side_median direct .total_ms.p50)"
S_TOT="$(side_median strata .total_ms.p50)"
D_RPS="$(side_median direct .throughput_rps)"
S_RPS="$(side_median strata .throughput_rps)"
TTFB_FAILED="$(jq -s 'map(.failed) | add' "$TTFB_FILE")"
TTFB_JSON="$(jq -n \
    --argjson dp50 "$D_P50" --argjson sp50 "$S_P50" --argjson dp99 "$D_P99" --argjson sp99 "$S_P99" \
    --argjson dtot "$D_TOT" --argjson stot "$S_TOT" --argjson drps "$D_RPS" --argjson srps "$S_RPS" \
    --argjson r50 "$(ratio "$S_P50" "$D_P50")" --argjson r99 "$(ratio "$S_P99" "$D_P99")" \
    --argjson a50 "$(minus "$S_P50" "$D_P50")" --argjson a99 "$(minus "$S_P99" "$D_P99")" \
    --argjson rtot "$(ratio "$S_TOT" "$D_TOT")" --argjson atot "$(minus "$S_TOT" "$D_TOT")" \
    --argjson rrps "$(ratio "$S_RPS" "$D_RPS")" --argjson failed "$TTFB_FAILED" \
    --slurpfile rounds "$TTFB_FILE" \
    '{median_of_rounds: {direct: {ttfb_p50_ms: $dp50, ttfb_p99_ms: $dp99, total_p50_ms: $dtot, streams_per_s: $drps},
                          strata: {ttfb_p50_ms: $sp50, ttfb_p99_ms: $sp99, total_p50_ms: $stot, streams_per_s: $srps}},
      ratio_strata_over_direct: {ttfb_p50: $r50, ttfb_p99: $r99, total_p50: $rtot, streams_per_s: $rrps},
      added_ms: {ttfb_p50: $a50, ttfb_p99: $a99, total_p50: $atot},
      failed_requests: $failed,
      rounds: $rounds}')"

# ---- (b) concurrent streams held to their end ----
hold() { # hold SIDE URL OUT
    curl -sf "http://127.0.0.1:$STUB_PORT/stats?reset=1" >/dev/null
    ROUND_MAX_SECONDS="$HOLD_MAX_SECONDS" bench "hold-$1" "$2" --hold "$HOLD_STREAMS" --pid "$STRATA_PID" \
        --expect-chunks "$STREAM_CHUNKS" --max-seconds "$HOLD_MAX_SECONDS" --request-timeout-s "$HOLD_MAX_SECONDS" \
        --header "X-Stub-Chunk-Delay-Ms: $HOLD_CHUNK_DELAY_MS" --header "X-Stub-Chunks: $STREAM_CHUNKS"
    local stub
    stub="$(curl -sf "http://127.0.0.1:$STUB_PORT/stats")"
    jq -c --argjson stub "$stub" '. + {stub_peak_in_flight: $stub.peak_in_flight}' "$RUN_DIR/round.json" >"$3"
}
HOLD_DIRECT_JSON=null
if [[ "$HOLD_DIRECT" == 1 ]]; then
    log "(b) holding $HOLD_STREAMS streams against the stub directly (baseline)"
    hold direct "$DIRECT_URL" "$RUN_DIR/hold-direct.json"
    HOLD_DIRECT_JSON="$(cat "$RUN_DIR/hold-direct.json")"
    echo "$HOLD_DIRECT_JSON" | jq -r '"  direct: ok \(.ok)/\(.requests) in \(.elapsed_s) s; ttfb p50 \(.ttfb_ms.p50) p99 \(.ttfb_ms.p99) ms; stub peak in flight \(.stub_peak_in_flight)"' >&2
fi
log "(b) holding $HOLD_STREAMS streams through Strata ($STREAM_CHUNKS chunks ${HOLD_CHUNK_DELAY_MS} ms apart)"
hold strata "$STRATA_URL" "$RUN_DIR/hold-strata.json"
HOLD_STRATA_JSON="$(cat "$RUN_DIR/hold-strata.json")"
echo "$HOLD_STRATA_JSON" | jq -r '"  strata: ok \(.ok)/\(.requests) in \(.elapsed_s) s; ttfb p50 \(.ttfb_ms.p50) p99 \(.ttfb_ms.p99) ms; stub peak in flight \(.stub_peak_in_flight); Strata RSS peak \(.rss_peak_mb) MB; errors \(.errors | tostring)"' >&2

# ---- (c) again, idle after the load ----
sleep "$IDLE_SETTLE_S"
IDLE_RSS_AFTER="$(rss_mb "$STRATA_PID")"

COUNTERS="$(strata_counters)"
WARNINGS="$(strata_warnings)"
STRATA_RUN="$(strata_run_json)"
OUT="${BENCH_RESULT_FILE:-$RESULTS_DIR/streaming-$TS.json}"
jq -n \
    --arg ts "$TS" --argjson machine "$MACHINE" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --argjson settings "$(jq -n --argjson rounds "$ROUNDS" --argjson chunks "$STREAM_CHUNKS" \
        --argjson c "$TTFB_CONCURRENCY" --argjson n "$TTFB_REQUESTS" --argjson w "$TTFB_WARMUP" \
        --argjson lat "$TTFB_LATENCY_MS" --argjson d "$TTFB_CHUNK_DELAY_MS" --argjson hold "$HOLD_STREAMS" \
        --argjson hd "$HOLD_CHUNK_DELAY_MS" --arg maxconn "${HOLD_UPSTREAM_MAX_CONNECTIONS:-default}" \
        --arg jopts "$STRATA_JAVA_OPTS" --arg extra "$STRATA_EXTRA_OPTS" \
        '{rounds_per_side: $rounds, chunks: $chunks, ttfb_concurrency: $c, ttfb_requests_per_round: $n,
          ttfb_warmup_per_round: $w, ttfb_stub_latency_ms: $lat, ttfb_chunk_delay_ms: $d, hold_streams: $hold,
          hold_chunk_delay_ms: $hd, strata_upstream_max_connections: $maxconn, strata_java_opts: $jopts,
          strata_extra_opts: $extra}')" \
    --argjson ready "$STRATA_READY_MS" \
    --argjson ttfb "$TTFB_JSON" --argjson hd "$HOLD_DIRECT_JSON" --argjson hs "$HOLD_STRATA_JSON" \
    --argjson idle0 "$IDLE_RSS_START" --argjson idle1 "$IDLE_RSS_AFTER" \
    --argjson counters "$COUNTERS" --argjson warnings "$WARNINGS" --argjson strata "$STRATA_RUN" \
    '{benchmark: "streaming", timestamp: $ts, machine: ($machine + {load_at_end: $load_end}), settings: $settings,
      strata: $strata, strata_ready_ms: $ready,
      ttfb: $ttfb,
      hold: {direct: $hd, strata: $hs,
             strata_ok: $hs.ok, strata_failed: $hs.failed, strata_peak_rss_mb: $hs.rss_peak_mb,
             elapsed_ratio_strata_over_direct: (if $hd == null then null else (($hs.elapsed_s / $hd.elapsed_s) * 1000 | round) / 1000 end)},
      rss_idle_mb: {after_start: $idle0, after_load: $idle1},
      strata_counters: $counters, strata_log_warnings: $warnings}
     | . + {summary: {
         ttfb: {direct_p50_ms: .ttfb.median_of_rounds.direct.ttfb_p50_ms, strata_p50_ms: .ttfb.median_of_rounds.strata.ttfb_p50_ms,
                direct_p99_ms: .ttfb.median_of_rounds.direct.ttfb_p99_ms, strata_p99_ms: .ttfb.median_of_rounds.strata.ttfb_p99_ms,
                added_p50_ms: .ttfb.added_ms.ttfb_p50, added_p99_ms: .ttfb.added_ms.ttfb_p99,
                p50_ratio: .ttfb.ratio_strata_over_direct.ttfb_p50, failed: .ttfb.failed_requests},
         hold: {streams: .settings.hold_streams, strata_ok: .hold.strata.ok, strata_failed: .hold.strata.failed,
                strata_elapsed_s: .hold.strata.elapsed_s, direct_ok: .hold.direct.ok, direct_elapsed_s: .hold.direct.elapsed_s,
                elapsed_ratio: .hold.elapsed_ratio_strata_over_direct, stub_peak_in_flight: .hold.strata.stub_peak_in_flight,
                strata_rss_peak_mb_sampled: .hold.strata_peak_rss_mb},
         strata_ready_ms: .strata.ready_ms, strata_rss_at_ready_mb: .strata.rss_at_ready_mb,
         strata_rss_idle_mb: .rss_idle_mb.after_start, strata_rss_after_load_mb: .rss_idle_mb.after_load,
         strata_rss_peak_mb: .strata.rss_peak_mb, java_opts: .strata.java_opts, extra_opts: .strata.extra_opts}}' >"$OUT"

# ---- summary ----
jq -r '
  def f: if . == null then "n/a" else tostring end;
  "",
  "Strata streaming benchmark \(.timestamp)  (commit \(.machine.commit), \(.machine.cpus) CPUs, load average \(.machine.load_at_start) at start, \(.machine.load_at_end) at end)",
  "Strata: ready in \(.strata.ready_ms | f) ms, RSS \(.strata.rss_at_ready_mb | f) MB when ready; JVM options: \(.strata.java_opts | if . == "" then "none" else . end)\(if .strata.extra_opts != "" then "; " + .strata.extra_opts else "" end)",
  "(a) TTFB of streamed misses, median of \(.settings.rounds_per_side) rounds per side, \(.settings.ttfb_requests_per_round) streams at concurrency \(.settings.ttfb_concurrency):",
  "      direct  p50 \(.ttfb.median_of_rounds.direct.ttfb_p50_ms | f) ms   p99 \(.ttfb.median_of_rounds.direct.ttfb_p99_ms | f) ms",
  "      strata  p50 \(.ttfb.median_of_rounds.strata.ttfb_p50_ms | f) ms   p99 \(.ttfb.median_of_rounds.strata.ttfb_p99_ms | f) ms",
  "      strata/direct  p50 \(.ttfb.ratio_strata_over_direct.ttfb_p50 | f)x (+\(.ttfb.added_ms.ttfb_p50 | f) ms)   p99 \(.ttfb.ratio_strata_over_direct.ttfb_p99 | f)x (+\(.ttfb.added_ms.ttfb_p99 | f) ms)   [target: under 1 ms added]",
  "      whole stream p50 +\(.ttfb.added_ms.total_p50 | f) ms; streams/s ratio \(.ttfb.ratio_strata_over_direct.streams_per_s | f); failed requests \(.ttfb.failed_requests | f)",
  "(b) \(.settings.hold_streams) concurrent streams, \(.settings.chunks) chunks \(.settings.hold_chunk_delay_ms) ms apart:",
  (if .hold.direct != null then "      direct  ok \(.hold.direct.ok)/\(.hold.direct.requests) in \(.hold.direct.elapsed_s) s (stub peak in flight \(.hold.direct.stub_peak_in_flight))" else empty end),
  "      strata  ok \(.hold.strata.ok)/\(.hold.strata.requests) in \(.hold.strata.elapsed_s) s (stub peak in flight \(.hold.strata.stub_peak_in_flight)); time ratio \(.hold.elapsed_ratio_strata_over_direct | f)x; first-byte p50 \(.hold.strata.ttfb_ms.p50 | f) ms p99 \(.hold.strata.ttfb_ms.p99 | f) ms",
  "      Strata peak RSS \(.hold.strata_peak_rss_mb | f) MB   [target: below 256 MB]",
  "(c) Strata RSS at idle: \(.rss_idle_mb.after_start | f) MB after start, \(.rss_idle_mb.after_load | f) MB after the load; peak over the run (VmHWM) \(.strata.rss_peak_mb | f) MB (ready in \(.strata_ready_ms) ms)",
  (if (.strata_log_warnings | length) > 0 then "Strata log warnings/errors (count, line):", (.strata_log_warnings[] | "      " + .) else empty end),
  ""' "$OUT"
log "results: $OUT"
