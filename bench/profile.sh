#!/usr/bin/env bash
# CPU profile of Strata's hot paths with async-profiler (itimer, 1 ms; no perf_events needed).
# Starts the stub and Strata as the benchmarks do (lib.sh: default configuration, JVM preset),
# primes one hit body, warms for WARMUP_SECONDS with wrk on that body, then profiles
# PROFILE_SECONDS of
#   (a) hits:   wrk on the fixed body (L1 hits; HIT-NEAR with STRATA_EXTRA_OPTS=-Dstrata.cache.near.enabled=true
#               STRATA_HIT_STATUS=HIT-NEAR),
#   (b) misses: StreamBench --mode post, unique bodies, against a MISS_LATENCY_MS stub (after
#               MISS_WARMUP unprofiled misses),
# and prints, per profile, the share of samples by top frame (self) and by selected inclusive groups
# (io/strata, Jackson, Redis/RESP, HTTP server, write/writev, history writer, Postgres encoder,
# Mutiny, ...), see bench/profile-summary.py.
#
# async-profiler comes from Maven Central (tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION,
# checked against its .sha1) and is cached in bench/.tools/ (git-ignored). It is loaded into the
# running JVM with `jcmd <pid> JVMTI.agent_load`, so Strata's command line is the benchmarks' one.
#
# Usage: bash bench/profile.sh        PROFILE_MODES="hits" bash bench/profile.sh
# Results: bench/results/profile-<timestamp>/{hits,misses}.collapsed (+ .html flame graphs,
# -summary.txt/.json); logs in /tmp/strata-bench-*.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROFILE_MODES="${PROFILE_MODES:-hits misses}"
PROFILE_SECONDS="${PROFILE_SECONDS:-15}"
PROFILE_EVENT="${PROFILE_EVENT:-itimer}"
PROFILE_INTERVAL="${PROFILE_INTERVAL:-1ms}"
PROFILE_TOP="${PROFILE_TOP:-15}"
WARMUP_SECONDS="${WARMUP_SECONDS:-20}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
MISS_CONCURRENCY="${MISS_CONCURRENCY:-32}"
MISS_LATENCY_MS="${MISS_LATENCY_MS:-50}"
MISS_WARMUP="${MISS_WARMUP:-1000}"
ASYNC_PROFILER_VERSION="${ASYNC_PROFILER_VERSION:-4.2}"
DEFAULT_HIT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France? Answer in one word."}],"temperature":0}'
HIT_BODY="${HIT_BODY:-$DEFAULT_HIT_BODY}"
STRATA_HIT_STATUS="${STRATA_HIT_STATUS:-HIT-L1}"

TOOLS_DIR="$BENCH_DIR/.tools"

# bench/.tools/async-profiler-<v>/libasyncProfiler.so, downloaded once from Maven Central
async_profiler_so() {
    local arch
    case "$(uname -m)" in
        x86_64 | amd64) arch=linux-x64 ;;
        aarch64 | arm64) arch=linux-arm64 ;;
        *) die "no async-profiler build for $(uname -m)" ;;
    esac
    local dir="$TOOLS_DIR/async-profiler-$ASYNC_PROFILER_VERSION-$arch"
    local so="$dir/libasyncProfiler.so"
    if [[ ! -f "$so" ]]; then
        command -v unzip >/dev/null || command -v python3 >/dev/null || die "unzip or python3 is needed to unpack async-profiler"
        local jar="$TOOLS_DIR/async-profiler-$ASYNC_PROFILER_VERSION-$arch.jar"
        local url="https://repo1.maven.org/maven2/tools/profiler/async-profiler/$ASYNC_PROFILER_VERSION/async-profiler-$ASYNC_PROFILER_VERSION-$arch.jar"
        mkdir -p "$TOOLS_DIR"
        if [[ ! -f "$jar" ]]; then
            log "downloading $url"
            curl -sSfL -o "$jar.part" "$url" || die "could not download $url"
            local want got
            want="$(curl -sSfL "$url.sha1" | cut -c1-40)" || die "could not download $url.sha1"
            got="$(sha1sum "$jar.part" | cut -c1-40)"
            [[ "$want" == "$got" ]] || { rm -f "$jar.part"; die "checksum mismatch for $url ($got, expected $want)"; }
            mv "$jar.part" "$jar"
        fi
        mkdir -p "$dir"
        if command -v unzip >/dev/null; then
            unzip -q -o -j "$jar" "$arch/libasyncProfiler.so" -d "$dir"
        else
            python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
                "$jar" "$arch/libasyncProfiler.so" "$so"
        fi
    fi
    [[ -f "$so" ]] || die "no $so"
    echo "$so"
}

command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
command -v jcmd >/dev/null || die "jcmd is required (a JDK, not only a JRE)"
command -v python3 >/dev/null || die "python3 is required for the summary"
SO="$(async_profiler_so)"
bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
create_db
flush_redis
OUT_DIR="$RESULTS_DIR/profile-$TS"
mkdir -p "$OUT_DIR"

start_stub "$STUB_PORT" "$MISS_LATENCY_MS" 50 0
start_strata "$STUB_PORT"
STRATA_URL="http://127.0.0.1:$STRATA_PORT/v1/chat/completions"

cat >"$RUN_DIR/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [==[$HIT_BODY]==]
wrk.headers["Content-Type"] = "application/json"
EOF
status=""
for _ in $(seq 1 10); do
    status="$(curl -s -o /dev/null -D - -X POST -H 'Content-Type: application/json' --data-binary "$HIT_BODY" "$STRATA_URL" \
        | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache-status" {print $2}')"
    [[ "$status" == "$STRATA_HIT_STATUS" ]] && break
    sleep 0.3
done
[[ "$status" == "$STRATA_HIT_STATUS" ]] || die "Strata does not answer the fixed body as $STRATA_HIT_STATUS (X-Cache-Status: $status)"
log "Strata answers the fixed body as $status"

wrk_cmd() { # the wrk command line for SECONDS (run directly, so that a signal reaches wrk itself)
    WRK=(timeout --signal=KILL $(($1 + 60)) wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${1}s" --latency
         -s "$RUN_DIR/post.lua" "$STRATA_URL")
}
if ((WARMUP_SECONDS > 0)); then
    log "warm-up: ${WARMUP_SECONDS}s of wrk (hits)"
    wrk_cmd "$WARMUP_SECONDS"
    run_child "$RUN_DIR/wrk-warmup.txt" "${WRK[@]}"
    grep -E 'Requests/sec|Non-2xx|Socket errors' "$RUN_DIR/wrk-warmup.txt" | sed 's/^/  warm-up: /' >&2 || true
fi

profiler() { # profiler COMMAND: one async-profiler command through jcmd (start, dump, stop; no spaces)
    # The options go in double quotes: jcmd's own parser would otherwise split them at the `=`.
    # The agent reports errors on Strata's stderr ("[ERROR] ..."), jcmd as a non-zero return code.
    echo "> $1" >>"$RUN_DIR/jcmd.log"
    jcmd "$STRATA_PID" JVMTI.agent_load "$SO" "\"$1\"" >"$RUN_DIR/jcmd-last.log" 2>&1 || true
    cat "$RUN_DIR/jcmd-last.log" >>"$RUN_DIR/jcmd.log"
    grep -q 'return code: 0' "$RUN_DIR/jcmd-last.log" \
        || die "async-profiler '$1' failed: $(tr '\n' ' ' <"$RUN_DIR/jcmd-last.log"); $(grep -F '[ERROR]' "$RUN_DIR/strata.log" | tail -3 | tr '\n' ' ')"
}

# profile NAME: profiles PROFILE_SECONDS while the load (already running as LOAD_PID) goes on
profile() {
    local name="$1" out="$OUT_DIR/$1"
    sleep 2 # the load has ramped up
    log "profiling $name for ${PROFILE_SECONDS}s ($PROFILE_EVENT, interval $PROFILE_INTERVAL)"
    profiler "start,event=$PROFILE_EVENT,interval=$PROFILE_INTERVAL"
    sleep "$PROFILE_SECONDS"
    profiler "dump,file=$out.html,flamegraph,title=Strata_$name"
    profiler "stop,file=$out.collapsed,collapsed"
    [[ -s "$out.collapsed" ]] || die "no samples in $out.collapsed (see $RUN_DIR/jcmd.log)"
}

for mode in $PROFILE_MODES; do
    case "$mode" in
        hits)
            wrk_cmd $((PROFILE_SECONDS + 4))
            "${WRK[@]}" >"$RUN_DIR/wrk-profile.txt" 2>&1 &
            CHILD_PID=$!
            profile hits
            wait "$CHILD_PID" || die "wrk failed: $(cat "$RUN_DIR/wrk-profile.txt")"
            CHILD_PID=""
            grep -E 'Requests/sec|Non-2xx|Socket errors' "$RUN_DIR/wrk-profile.txt" | sed 's/^/  hits: /' >&2 || true
            cp "$RUN_DIR/wrk-profile.txt" "$OUT_DIR/hits-wrk.txt"
            ;;
        misses)
            log "miss warm-up: $MISS_WARMUP unique requests at concurrency $MISS_CONCURRENCY (stub latency ${MISS_LATENCY_MS} ms)"
            run_child "$RUN_DIR/miss-warmup.json" timeout --signal=KILL 600 java -cp "$CLASSES" StreamBench --mode post \
                --label warmup --url "$STRATA_URL" --concurrency "$MISS_CONCURRENCY" --requests "$MISS_WARMUP" --max-seconds 300
            java -cp "$CLASSES" StreamBench --mode post --label profile --url "$STRATA_URL" --concurrency "$MISS_CONCURRENCY" \
                --requests 10000000 --max-seconds $((PROFILE_SECONDS + 4)) >"$RUN_DIR/miss-profile.json" &
            CHILD_PID=$!
            profile misses
            wait "$CHILD_PID" || die "StreamBench failed"
            CHILD_PID=""
            jq -r '"  misses: ok \(.ok)/\(.requests), failed \(.failed), \(.throughput_rps) req/s, p50 \(.total_ms.p50) ms, p99 \(.total_ms.p99) ms, \(.status | tostring) \(.cache_status | tostring)"' \
                "$RUN_DIR/miss-profile.json" >&2
            cp "$RUN_DIR/miss-profile.json" "$OUT_DIR/misses-load.json"
            ;;
        *) die "unknown profile mode '$mode' (hits, misses)" ;;
    esac
done

{
    echo "Strata CPU profile $TS (commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
        "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); $PROFILE_EVENT every $PROFILE_INTERVAL for ${PROFILE_SECONDS}s" \
        "after ${WARMUP_SECONDS}s warm-up; JVM options: ${STRATA_JAVA_OPTS:-none}${STRATA_EXTRA_OPTS:+; $STRATA_EXTRA_OPTS}"
    for mode in $PROFILE_MODES; do
        echo
        python3 "$BENCH_DIR/profile-summary.py" "$OUT_DIR/$mode.collapsed" --top "$PROFILE_TOP" \
            --json "$OUT_DIR/$mode-summary.json" --title "$mode ($( [[ $mode == hits ]] && echo "$STRATA_HIT_STATUS, wrk -c$WRK_CONNECTIONS" || echo "unique POSTs, concurrency $MISS_CONCURRENCY, ${MISS_LATENCY_MS} ms stub"))"
    done
} | tee "$OUT_DIR/summary.txt"
cp "$RUN_DIR/strata.log" "$OUT_DIR/strata.log" 2>/dev/null || true
log "profiles: $OUT_DIR (*.collapsed, *.html flame graphs, summary.txt)"
