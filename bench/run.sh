#!/usr/bin/env bash
# Every hot-path benchmark in one command. Runs, one after the other (they share ports):
#   1. l1:        hits.sh                  L1 hits vs nginx (cold and warm) and misses vs the stub;
#   2. near:      hits.sh with the near cache on (STRATA_EXTRA_OPTS=-Dstrata.cache.near.enabled=true
#                 STRATA_HIT_STATUS=HIT-NEAR SKIP_MISSES=1): near-cache hits vs nginx;
#   3. streaming: streaming.sh             TTFB of streamed misses vs the stub, 1,000 streams held, RSS;
# then reads the `summary` object of their result files and prints one markdown table: each target,
# the baseline, Strata's figure, the ratio and PASS/MISS. The table is written to
# bench/results/summary-<timestamp>.md (and the rows to summary-<timestamp>.json).
#
# Usage: bash bench/run.sh                     (about 20 minutes with the defaults)
#        RUN_STEPS="l1 streaming" bash bench/run.sh       (a subset)
#        SUMMARY_ONLY="hits-l1-X.json hits-near-X.json streaming-X.json" bash bench/run.sh
#                                              (only the table, from earlier result files)
# Every setting of hits.sh / streaming.sh / lib.sh passes through (ROUNDS, ROUND_SECONDS,
# WARMUP_SECONDS, COLD_SECONDS, MISS_REQUESTS, TTFB_REQUESTS, HOLD_STREAMS, STRATA_JAVA_OPTS, ...).
# Exit status: 0 when every step ran (whatever the verdicts), 1 when a step failed,
# and with STRICT=1 also 2 when a target is missed.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS_DIR="$BENCH_DIR/results"
TS="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_STEPS="${RUN_STEPS:-l1 near streaming}"
STRICT="${STRICT:-0}"
SUMMARY_ONLY="${SUMMARY_ONLY:-}"
LOG_DIR="/tmp/strata-bench-run-$TS-$$"
mkdir -p "$RESULTS_DIR"
[[ -n "$SUMMARY_ONLY" ]] || mkdir -p "$LOG_DIR"

log() { printf '[%s] run: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v jq >/dev/null || { log "jq is required"; exit 1; }

CHILD=""
on_signal() {
    # the step's own trap stops everything it started (lib.sh cleanup); wait for it to finish
    if [[ -n "$CHILD" ]] && kill -0 "$CHILD" 2>/dev/null; then
        log "interrupted: stopping the running step (pid $CHILD)"
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    exit 130
}
trap on_signal INT TERM

declare -A FILE=([l1]="$RESULTS_DIR/hits-l1-$TS.json" [near]="$RESULTS_DIR/hits-near-$TS.json"
                 [streaming]="$RESULTS_DIR/streaming-$TS.json")
declare -A STATUS=([l1]="not run" [near]="not run" [streaming]="not run")
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
START_S=$(date +%s)

run_step() { # run_step NAME SCRIPT [VAR=VALUE...]: the script in the background (so a signal reaches it), output to the terminal and a log
    local name="$1" script="$2" rc=0
    shift 2
    log "step $name: $* bash bench/$script  (log $LOG_DIR/$name.log)"
    env BENCH_RESULT_FILE="${FILE[$name]}" "$@" bash "$BENCH_DIR/$script" > >(tee "$LOG_DIR/$name.log") 2>&1 &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    if ((rc == 0)) && [[ -s "${FILE[$name]}" ]]; then
        STATUS[$name]=ok
    else
        STATUS[$name]="failed (exit $rc, log $LOG_DIR/$name.log)"
        log "step $name failed (exit $rc); going on with the next one"
    fi
}

if [[ -n "$SUMMARY_ONLY" ]]; then
    read -r -a given <<<"$SUMMARY_ONLY"
    for f in "${given[@]}"; do
        [[ -f "$f" ]] || f="$RESULTS_DIR/$f"
        [[ -f "$f" ]] || { log "no such result file: $f"; exit 1; }
        case "$(jq -r '.benchmark + ":" + (.settings.hit_status // "")' "$f")" in
            hits:HIT-NEAR) FILE[near]="$f"; STATUS[near]=ok ;;
            hits:*) FILE[l1]="$f"; STATUS[l1]=ok ;;
            streaming:*) FILE[streaming]="$f"; STATUS[streaming]=ok ;;
            *) log "not a hits/streaming result: $f"; exit 1 ;;
        esac
    done
else
    for step in $RUN_STEPS; do
        case "$step" in
            l1) run_step l1 hits.sh STRATA_HIT_STATUS=HIT-L1 ;;
            near) run_step near hits.sh \
                "STRATA_EXTRA_OPTS=${STRATA_EXTRA_OPTS:+$STRATA_EXTRA_OPTS }-Dstrata.cache.near.enabled=true" \
                STRATA_HIT_STATUS=HIT-NEAR SKIP_MISSES=1 ;;
            streaming) run_step streaming streaming.sh ;;
            *) log "unknown step '$step' (steps: l1 near streaming)"; exit 1 ;;
        esac
    done
fi

doc() { # the result file of step $1 as JSON (null when it did not run or failed)
    if [[ "${STATUS[$1]}" == ok ]]; then cat "${FILE[$1]}"; else echo null; fi
}

SUMMARY_JSON="$RESULTS_DIR/summary-$TS.json"
SUMMARY_MD="$RESULTS_DIR/summary-$TS.md"
jq -n --argjson l1 "$(doc l1)" --argjson near "$(doc near)" --argjson st "$(doc streaming)" \
    --arg s_l1 "${STATUS[l1]}" --arg s_near "${STATUS[near]}" --arg s_st "${STATUS[streaming]}" \
    --argjson summary_only "$([[ -n "$SUMMARY_ONLY" ]] && echo true || echo false)" \
    --arg ts "$TS" --arg load0 "$LOAD_START" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --argjson minutes "$((($(date +%s) - START_S + 30) / 60))" \
    --arg commit "$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --arg dirty "$(git -C "$ROOT_DIR" status --porcelain -- src pom.xml 2>/dev/null | wc -l | tr -d ' ')" \
    --arg f_l1 "${FILE[l1]#"$ROOT_DIR"/}" --arg f_near "${FILE[near]#"$ROOT_DIR"/}" --arg f_st "${FILE[streaming]#"$ROOT_DIR"/}" '
  def rnd(n): if . == null then null else (. * pow(10; n) | round) / pow(10; n) end;
  def ms: if . == null then "n/a" else "\(rnd(2)) ms" end;
  def rps: if . == null then "n/a" else "\(rnd(0)) req/s" end;
  def x: if . == null then "n/a" else "\(rnd(3))x" end;
  def plus_ms: if . == null then "n/a" else (if . >= 0 then "+" else "" end) + "\(rnd(2)) ms" end;
  def mb: if . == null then "n/a" else "\(rnd(1)) MB" end;
  def tag(t): if . == "n/a" then . else . + " " + t end;
  def verdict(ok): if ok == null then "n/a" elif ok then "PASS" else "MISS" end;
  def num_or_null: if type == "number" then . else null end;
  ($l1.summary // null) as $a | ($near.summary // null) as $n | ($st.summary // null) as $s
  | ($a.hits // null) as $h | ($n.hits // null) as $nh | ($a.misses // null) as $m
  | ($s.ttfb // null) as $t | ($s.hold // null) as $hold
  | [
    {target: "L1 hits: throughput (wrk -c\($l1.settings.wrk_connections // "?"), warm)",
     baseline: ($h.nginx_rps | rps | tag("nginx")), strata: ($h.strata_rps | rps), ratio: ($h.rps_ratio | x), goal: ">= 0.5x",
     result: verdict(if $h.rps_ratio == null then null else $h.rps_ratio >= 0.5 end),
     note: (if $h == null then "step l1: \($s_l1)" else "answered as HIT-L1: \(($h.share_answered_as_hit_status // 0) * 100 | rnd(1)) %; errors \($h.strata_errors)" end)},
    {target: "L1 hits: p99 latency (warm)",
     baseline: ($h.nginx_p99_ms | ms | tag("nginx")), strata: ($h.strata_p99_ms | ms), ratio: ($h.p99_ratio | x), goal: "<= 2x",
     result: verdict(if $h.p99_ratio == null then null else $h.p99_ratio <= 2 end),
     note: (if $h == null then "" else "p50 \($h.nginx_p50_ms | ms) nginx, \($h.strata_p50_ms | ms) Strata" end)},
    {target: "near-cache hits: throughput (warm)",
     baseline: ($nh.nginx_rps | rps | tag("nginx")), strata: ($nh.strata_rps | rps), ratio: ($nh.rps_ratio | x), goal: ">= 0.8x",
     result: verdict(if $nh.rps_ratio == null then null else $nh.rps_ratio >= 0.8 end),
     note: (if $nh == null then "step near: \($s_near)" else "answered as HIT-NEAR: \(($nh.share_answered_as_hit_status // 0) * 100 | rnd(1)) %; p99 \($nh.nginx_p99_ms | ms) nginx, \($nh.strata_p99_ms | ms) Strata (\($nh.p99_ratio | x)); errors \($nh.strata_errors)" end)},
    {target: "misses: throughput (\($m.concurrency // "?") connections, \($m.upstream_latency_ms // "?") ms stub)",
     baseline: ($m.direct_rps | rps | tag("direct")), strata: ($m.strata_rps | rps), ratio: ($m.rps_ratio | x), goal: ">= 0.95x",
     result: verdict(if $m.rps_ratio == null then null else $m.rps_ratio >= 0.95 end),
     note: (if $m == null then "step l1: \($s_l1)" else "" end)},
    {target: "misses: added p50 latency",
     baseline: ($m.direct_p50_ms | ms | tag("direct")), strata: ($m.strata_p50_ms | ms), ratio: ($m.added_p50_ms | plus_ms), goal: "< 1 ms added",
     result: verdict(if $m.added_p50_ms == null then null else $m.added_p50_ms < 1 end),
     note: (if $m == null then "" else "added p99 \($m.added_p99_ms | plus_ms)" end)},
    {target: "misses: errors",
     baseline: (if $m == null then "n/a" else "\($m.direct_failed) failed direct" end),
     strata: (if $m == null then "n/a" else "\($m.strata_failed) failed, \($m.strata_non_200) non-200 of \($m.strata_requests)" end),
     ratio: "", goal: "0 errors",
     result: verdict(if $m == null then null else ($m.strata_failed == 0 and $m.strata_non_200 == 0) end), note: ""},
    {target: "streamed misses: added TTFB p50",
     baseline: ($t.direct_p50_ms | ms | tag("direct")), strata: ($t.strata_p50_ms | ms), ratio: ($t.added_p50_ms | plus_ms), goal: "< 1 ms added",
     result: verdict(if $t.added_p50_ms == null then null else $t.added_p50_ms < 1 end),
     note: (if $t == null then "step streaming: \($s_st)" else "added p99 \($t.added_p99_ms | plus_ms); failed streams \($t.failed)" end)},
    {target: "1,000 concurrent streams held",
     baseline: (if $hold.direct_ok == null then "n/a" else "\($hold.direct_ok)/\($hold.streams) in \($hold.direct_elapsed_s) s direct" end),
     strata: (if $hold == null then "n/a" else "\($hold.strata_ok)/\($hold.streams) in \($hold.strata_elapsed_s) s" end),
     ratio: (if $hold.elapsed_ratio == null then "n/a" else "\($hold.elapsed_ratio | x) time" end), goal: "1000/1000 ok",
     result: (if $hold == null then "n/a" elif $hold.strata_ok != $hold.streams or ($hold.strata_failed // 0) > 0 then "MISS"
              elif $hold.streams < 1000 then "n/a (only \($hold.streams))" else "PASS" end),
     note: (if $hold == null then "" else "stub peak in flight \($hold.stub_peak_in_flight)" end)},
    (( [ {run: "l1", v: ($a.strata_rss_peak_mb | num_or_null)}, {run: "near", v: ($n.strata_rss_peak_mb | num_or_null)},
        {run: "streaming", v: ($s.strata_rss_peak_mb | num_or_null)} ] | map(select(.v != null)) ) as $rss
    | {target: "RSS under load (peak VmHWM, JVM preset)",
       baseline: "256 MB limit", strata: ($rss | map(.v) | max | mb),
       ratio: (if ($rss | length) == 0 then "n/a" else ($rss | map(.v) | max) / 256 | x end), goal: "< 256 MB",
       result: verdict(if ($rss | length) == 0 then null else ($rss | map(.v) | max) < 256 end),
       note: ($rss | map("\(.run) \(.v | mb)") | join(", "))}),
    {target: "L1 hits: cold (first \($a.cold.seconds // "?") s, no warm-up) vs warm",
     baseline: (if $a.cold == null then "n/a" else "\($a.cold.nginx_rps | rps) nginx cold" end),
     strata: (if $a.cold == null then "n/a" else "\($a.cold.strata_rps | rps) cold, \($h.strata_rps | rps) warm" end),
     ratio: (if $a.cold == null then "n/a" else "\($a.cold.rps_ratio | x) cold, \($h.rps_ratio | x) warm" end),
     goal: "info", result: "info",
     note: (if $a.cold == null then "" else "warm/cold \($a.cold.strata_warm_over_cold_rps | x); cold p99 \($a.cold.nginx_p99_ms | ms) nginx, \($a.cold.strata_p99_ms | ms) Strata (\($a.cold.p99_ratio | x))" end)},
    {target: "near-cache hits: cold vs warm",
     baseline: (if $n.cold == null then "n/a" else "\($n.cold.nginx_rps | rps) nginx cold" end),
     strata: (if $n.cold == null then "n/a" else "\($n.cold.strata_rps | rps) cold, \($nh.strata_rps | rps) warm" end),
     ratio: (if $n.cold == null then "n/a" else "\($n.cold.rps_ratio | x) cold, \($nh.rps_ratio | x) warm" end),
     goal: "info", result: "info",
     note: (if $n.cold == null then "" else "warm/cold \($n.cold.strata_warm_over_cold_rps | x)" end)},
    (( [ {run: "l1", v: $a.strata_ready_ms, r: $a.strata_rss_at_ready_mb}, {run: "near", v: $n.strata_ready_ms, r: $n.strata_rss_at_ready_mb},
        {run: "streaming", v: $s.strata_ready_ms, r: $s.strata_rss_at_ready_mb} ] | map(select(.v != null)) ) as $up
    | {target: "start-up time (JVM, until /q/health/ready)",
       baseline: "", strata: (if ($up | length) == 0 then "n/a" else "\($up | map(.v) | max) ms (slowest)" end),
       ratio: "", goal: "info", result: "info",
       note: ($up | map("\(.run) \(.v) ms, RSS \(.r | mb)") | join("; "))})
  ] as $rows
  | ($l1.machine // $near.machine // $st.machine) as $mach
  | {timestamp: $ts, summary_only: $summary_only,
     commit: ($mach.commit // $commit), uncommitted_src_files: ($mach.uncommitted_src_files // ($dirty | tonumber)),
     load_at_start: $load0, load_at_end: $load1, minutes: $minutes,
     load_per_step: {l1: (if $l1 == null then null else "\($l1.machine.load_at_start) -> \($l1.machine.load_at_end)" end),
                     near: (if $near == null then null else "\($near.machine.load_at_start) -> \($near.machine.load_at_end)" end),
                     streaming: (if $st == null then null else "\($st.machine.load_at_start) -> \($st.machine.load_at_end)" end)},
     java_opts: ($a.java_opts // $s.java_opts // $n.java_opts),
     steps: {l1: {status: $s_l1, file: $f_l1}, near: {status: $s_near, file: $f_near}, streaming: {status: $s_st, file: $f_st}},
     settings: {hits: ($l1.settings // $near.settings | if . == null then null else del(.hit_body) end), streaming: $st.settings},
     rows: $rows,
     passed: ($rows | map(select(.result == "PASS")) | length),
     missed: ($rows | map(select(.result == "MISS")) | length),
     unknown: ($rows | map(select(.result | startswith("n/a"))) | length)}' >"$SUMMARY_JSON"

jq -r '
  def cell: tostring | gsub("\\|"; "\\|");
  "# Strata hot-path benchmark \(.timestamp)",
  "",
  "commit \(.commit)\(if .uncommitted_src_files > 0 then " + \(.uncommitted_src_files) uncommitted files in src/" else "" end); \(if .summary_only then "table from earlier result files" else "load average \(.load_at_start) at start, \(.load_at_end) at end; about \(.minutes) min" end)",
  "",
  "Load average (1, 5, 15 min) at start -> end of each step: " + ([.load_per_step | to_entries[] | select(.value != null) | "\(.key) \(.value)"] | join("; ")),
  "",
  "Strata JVM options: `\(.java_opts // "n/a")`; otherwise its default configuration",
  "",
  "Settings: hits \(if .settings.hits == null then "n/a" else "cold \(.settings.hits.cold_seconds) s, warm-up \(.settings.hits.warmup_seconds) s, \(.settings.hits.hit_rounds_per_side) rounds of \(.settings.hits.round_seconds) s, misses \(.settings.hits.miss_rounds_per_side) rounds of \(.settings.hits.miss_requests_per_round) (+\(.settings.hits.miss_warmup_per_round))" end); streaming \(if .settings.streaming == null then "n/a" else "\(.settings.streaming.rounds_per_side) rounds of \(.settings.streaming.ttfb_requests_per_round) (+\(.settings.streaming.ttfb_warmup_per_round)) streams, hold \(.settings.streaming.hold_streams)" end)",
  "",
  "| target | baseline | Strata | ratio | goal | result | notes |",
  "|---|---|---|---|---|---|---|",
  (.rows[] | "| \(.target | cell) | \(.baseline | cell) | \(.strata | cell) | \(.ratio | cell) | \(.goal | cell) | **\(.result | cell)** | \(.note | cell) |"),
  "",
  "\(.passed) PASS, \(.missed) MISS, \(.unknown) n/a. Result files: " + ([.steps | to_entries[] | "\(.key) \(if .value.status == "ok" then .value.file else .value.status end)"] | join("; "))' \
    "$SUMMARY_JSON" >"$SUMMARY_MD"

echo
cat "$SUMMARY_MD"
echo
log "summary: $SUMMARY_MD (rows: $SUMMARY_JSON)$([[ -n "$SUMMARY_ONLY" ]] || echo "; step logs in $LOG_DIR")"

failed=0
for step in l1 near streaming; do
    [[ " $RUN_STEPS " == *" $step "* || -n "$SUMMARY_ONLY" ]] || continue
    [[ "${STATUS[$step]}" == ok || "${STATUS[$step]}" == "not run" ]] || failed=1
done
((failed == 0)) || exit 1
if [[ "$STRICT" == 1 ]] && (($(jq '.missed' "$SUMMARY_JSON") > 0)); then
    exit 2
fi
exit 0
