#!/usr/bin/env bash
# The semantic layer's cost (issue 11): latency it adds to a miss (embedding + candidate search)
# and what a semantic hit costs against an exact L1 hit, measured in one run on one Strata
# (requests of every kind interleaved, see semantic/latency.py), with a stub provider answering
# at once so the figures are Strata's own; then the memory of the model: RSS of a Strata with the
# semantic layer off and one with it on, after the same requests. Default configuration and the
# chart's JVM preset (lib.sh), local embedder.
#
# Usage: bash bench/semantic.sh     (ROUNDS, PER_ROUND, PRELOAD, WARMUP below)
# The quality figures (precision/recall per threshold) come from SemanticBenchmarkTest instead:
# ./mvnw -q test -Dtest=SemanticBenchmarkTest, table in target/semantic-bench/precision-recall.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-3}"
PER_ROUND="${PER_ROUND:-200}"
PRELOAD="${PRELOAD:-200}"
WARMUP="${WARMUP:-300}"

bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
create_db
flush_redis
start_stub "$STUB_PORT" 0 1 0

run_side() { # $1 = on|off
    local side="$1" out="$RUN_DIR/semantic-$1.json"
    flush_redis
    start_strata "$STUB_PORT" -Dstrata.cache.semantic.enabled="$([[ $side == on ]] && echo true || echo false)"
    local ready_rss="$STRATA_RSS_READY_MB"
    run_child "$out" python3 "$BENCH_DIR/semantic/latency.py" "$STRATA_PORT" "$ROUNDS" "$PER_ROUND" "$PRELOAD" "$WARMUP" \
        "bench-$side-$TS" "$side"
    local rss peak
    rss="$(rss_mb "$STRATA_PID")"
    peak="$(rss_peak_mb "$STRATA_PID")"
    jq -c --arg side "$side" --argjson ready "$ready_rss" --argjson rss "$rss" --argjson peak "$peak" \
        '{side: $side, rss_ready_mb: $ready, rss_after_mb: $rss, rss_peak_mb: $peak} + .' "$out" >"$out.tmp"
    mv "$out.tmp" "$out"
    kill -TERM "$STRATA_PID"
    wait "$STRATA_PID" 2>/dev/null || true
    log "semantic $side: $(jq -c '{rss_after_mb, rss_peak_mb}' "$out")"
}

run_side off
run_side on
RESULT="$RESULTS_DIR/semantic-$TS.json"
jq -s '{off: .[0], on: .[1]}' "$RUN_DIR/semantic-off.json" "$RUN_DIR/semantic-on.json" >"$RESULT"
log "results: $RESULT"
python3 - "$RESULT" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
on = r["on"]
def med(kind, q):
    return statistics.median(x[kind][q] for x in on["rounds"])
print("| kind (semantic on, warm, median of %d rounds) | p50 ms | p99 ms |" % len(on["rounds"]))
print("|---|---|---|")
for k in ["miss-exact", "miss-semantic", "hit-exact", "hit-semantic"]:
    print("| %s | %.2f | %.2f |" % (k, med(k, "p50"), med(k, "p99")))
print("| added to a miss | %.2f | %.2f |" % (med("miss-semantic", "p50") - med("miss-exact", "p50"), med("miss-semantic", "p99") - med("miss-exact", "p99")))
print("| semantic hit minus exact hit | %.2f | %.2f |" % (med("hit-semantic", "p50") - med("hit-exact", "p50"), med("hit-semantic", "p99") - med("hit-exact", "p99")))
print()
print("cold (first requests after start, semantic on):", json.dumps({k: (v["p50"], v["p99"]) for k, v in on["cold"].items()}))
print("statuses (last round):", json.dumps({k: v["statuses"] for k, v in on["rounds"][-1].items()}))
print("RSS MB off: after %s peak %s; on: after %s peak %s" % (r["off"]["rss_after_mb"], r["off"]["rss_peak_mb"], r["on"]["rss_after_mb"], r["on"]["rss_peak_mb"]))
PY
