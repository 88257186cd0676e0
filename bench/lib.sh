# Shared helpers of bench/*.sh (sourced, not run). Everything listens on 127.0.0.1 only; every
# process started here is recorded and killed by the EXIT trap, also on failure or Ctrl-C.
# shellcheck shell=bash

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS_DIR="$BENCH_DIR/results"

TS="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_DIR="${BENCH_RUN_DIR:-/tmp/strata-bench-$TS-$$}"
mkdir -p "$RUN_DIR" "$RESULTS_DIR"
chmod 755 "$RUN_DIR"

# Ports (override when they are taken).
STUB_PORT="${STUB_PORT:-18101}"
STRATA_PORT="${STRATA_PORT:-18180}"
STRATA_MGMT_PORT="${STRATA_MGMT_PORT:-19180}"
NGINX_PORT="${NGINX_PORT:-18190}"

# Local services.
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-postgres}"

# JVM options that mirror the chart's JVM preset (k8s/strata, image.flavor=jvm: memory request
# 256Mi, limit 512Mi; JAVA_OPTS_APPEND). `-XX:MaxRAMPercentage=75` (the chart so far) sizes the heap
# from the container limit, which means nothing on a bench machine without one (75 % of 24 GiB),
# so the preset is spelled out: a heap of 64 to 192 MB, bounded metaspace, code cache, thread
# stacks and direct memory, the serial collector (2 cores, one small heap: the parallel collector
# was no faster in hits.sh and peaked at 259-260 MB RSS against 210-217 MB; see bench/README.md),
# and, as in the chart, exit on OutOfMemoryError. Keep these flags identical to the chart's preset.
JVM_PRESET_OPTS="-Xms32m -Xmx128m -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=48m -Xss512k -XX:MaxDirectMemorySize=48m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
# Strata: JVM options (unset: JVM_PRESET_OPTS; set to an empty string: the JVM's own defaults) and
# extra -D options. Strata otherwise runs with its default configuration: only where it listens,
# where Redis, Postgres and the upstream are, and the Postgres user are set.
STRATA_JAVA_OPTS="${STRATA_JAVA_OPTS-$JVM_PRESET_OPTS}"
STRATA_EXTRA_OPTS="${STRATA_EXTRA_OPTS:-}"
STRATA_START_TIMEOUT_S="${STRATA_START_TIMEOUT_S:-90}"

PIDS=()          # every background process started, killed in reverse order on exit
BENCH_DB=""      # the per-run database, dropped on exit
STRATA_PID=""
STUB_PID=""
CHILD_PID=""     # the measuring command running now (client, wrk), killed first on exit

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

cleanup() {
    local rc=$?
    set +e
    local i pid
    if [[ -n "$CHILD_PID" ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
        kill -TERM "$CHILD_PID" 2>/dev/null
        wait "$CHILD_PID" 2>/dev/null
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[$i]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
        fi
    done
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[$i]}"
        local waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "process $pid did not stop on TERM: KILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    if [[ -n "$BENCH_DB" ]]; then
        dropdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --if-exists "$BENCH_DB" >/dev/null 2>&1 \
            || log "could not drop database $BENCH_DB"
    fi
    flush_redis >/dev/null 2>&1
    # the private copy of the application is not needed after the run (the logs stay)
    if [[ -n "${APP_DIR:-}" && "$APP_DIR" == "$RUN_DIR/strata-app" ]]; then
        rm -rf "$APP_DIR"
    fi
    if ((rc != 0)); then
        log "failed (exit $rc); logs kept in $RUN_DIR"
    fi
    exit "$rc"
}

bench_init() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    for tool in java javac curl jq redis-cli createdb dropdb; do
        command -v "$tool" >/dev/null || die "$tool is required (see bench/README.md)"
    done
    local v
    v="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
    [[ "${v%%.*}" -ge 17 ]] || die "Java 17+ is required (found $v)"
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "Redis is not answering on $REDIS_HOST:$REDIS_PORT"
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -Atc 'select 1' >/dev/null 2>&1 \
        || die "PostgreSQL is not answering on $PG_HOST:$PG_PORT as $PG_USER"
    log "run directory (logs): $RUN_DIR"
}

# run_child OUT CMD...: runs a measuring command in the background with its stdout in OUT and
# waits for it. Waiting with the `wait` builtin lets a TERM/INT reach the trap at once (a command
# in the foreground would first run to its end), and the trap then stops the command too.
run_child() {
    local out="$1" rc=0
    shift
    "$@" >"$out" &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    return "$rc"
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

require_free_ports() {
    local p
    for p in "$@"; do
        port_free "$p" || die "port $p is taken (override with STUB_PORT / STRATA_PORT / STRATA_MGMT_PORT / NGINX_PORT)"
    done
}

# Compiles the stub and the client once (each round then starts a JVM without recompiling).
compile_tools() {
    CLASSES="$RUN_DIR/classes"
    mkdir -p "$CLASSES"
    javac -d "$CLASSES" "$BENCH_DIR/upstream/StubProvider.java" "$BENCH_DIR/client/StreamBench.java"
}

# A private copy of the packaged application, so a rebuild of target/ during the run changes nothing.
prepare_app() {
    if [[ -n "${STRATA_APP_DIR:-}" ]]; then
        APP_DIR="$STRATA_APP_DIR"
    else
        if [[ ! -f "$ROOT_DIR/target/quarkus-app/quarkus-run.jar" ]]; then
            log "target/quarkus-app/quarkus-run.jar is missing: packaging (./mvnw -q -B package -DskipTests)"
            (cd "$ROOT_DIR" && ./mvnw -q -B package -DskipTests)
        fi
        APP_DIR="$RUN_DIR/strata-app"
        cp -a "$ROOT_DIR/target/quarkus-app" "$APP_DIR"
    fi
    [[ -f "$APP_DIR/quarkus-run.jar" ]] || die "no quarkus-run.jar in $APP_DIR"
    log "Strata from $APP_DIR"
}

create_db() {
    BENCH_DB="strata_bench_${TS,,}_$$"
    BENCH_DB="${BENCH_DB//[^a-z0-9_]/_}"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$BENCH_DB"
    log "database $BENCH_DB"
}

flush_redis() {
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern 'strata:*' \
        | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" del >/dev/null
}

# start_stub PORT LATENCY_MS CHUNKS CHUNK_DELAY_MS
start_stub() {
    local port="$1" latency="$2" chunks="$3" delay="$4"
    java -cp "$CLASSES" StubProvider --port "$port" --latency-ms "$latency" --chunks "$chunks" \
        --chunk-delay-ms "$delay" >"$RUN_DIR/stub-$port.log" 2>&1 &
    STUB_PID=$!
    PIDS+=("$STUB_PID")
    local i
    for i in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/stats" >/dev/null 2>&1 && break
        kill -0 "$STUB_PID" 2>/dev/null || die "stub exited: $(cat "$RUN_DIR/stub-$port.log")"
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$port/stats" >/dev/null || die "stub did not start on $port"
    log "stub pid $STUB_PID on 127.0.0.1:$port (latency ${latency} ms, $chunks chunks ${delay} ms apart)"
}

# start_strata UPSTREAM_PORT [extra -D options...]
start_strata() {
    local upstream_port="$1"
    shift
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" java $STRATA_JAVA_OPTS \
        -Dquarkus.http.host=127.0.0.1 \
        -Dquarkus.management.host=127.0.0.1 \
        -Dquarkus.http.port="$STRATA_PORT" \
        -Dquarkus.management.port="$STRATA_MGMT_PORT" \
        -Dquarkus.redis.hosts="redis://$REDIS_HOST:$REDIS_PORT" \
        -Dquarkus.datasource.reactive.url="postgresql://$PG_HOST:$PG_PORT/$BENCH_DB" \
        -Dquarkus.datasource.username="$PG_USER" \
        -Dstrata.upstream.base-url="http://127.0.0.1:$upstream_port/v1" \
        $STRATA_EXTRA_OPTS "$@" \
        -jar "$APP_DIR/quarkus-run.jar" >"$RUN_DIR/strata.log" 2>&1 &
    STRATA_PID=$!
    PIDS+=("$STRATA_PID")
    local start deadline
    start=$(date +%s%N)
    deadline=$(($(date +%s) + STRATA_START_TIMEOUT_S))
    until curl -sf "http://127.0.0.1:$STRATA_MGMT_PORT/q/health/ready" >/dev/null 2>&1; do
        kill -0 "$STRATA_PID" 2>/dev/null || die "Strata exited: $(tail -20 "$RUN_DIR/strata.log")"
        (($(date +%s) < deadline)) || die "Strata not ready after ${STRATA_START_TIMEOUT_S}s"
        sleep 0.1
    done
    STRATA_READY_MS=$((($(date +%s%N) - start) / 1000000))
    STRATA_RSS_READY_MB="$(rss_mb "$STRATA_PID")"
    log "Strata pid $STRATA_PID on 127.0.0.1:$STRATA_PORT, ready in ${STRATA_READY_MS} ms, RSS ${STRATA_RSS_READY_MB} MB (JVM options: ${STRATA_JAVA_OPTS:-none})"
}

rss_mb() { # current resident set of process $1 in MB (null when it is gone)
    local v
    v="$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null)" || true
    echo "${v:-null}"
}

rss_peak_mb() { # peak resident set of process $1 since it started (VmHWM), in MB
    local v
    v="$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null)" || true
    echo "${v:-null}"
}

# How Strata ran (JVM options, start-up time, RSS when ready, now and at its peak) as JSON.
strata_run_json() {
    jq -n --arg jopts "$STRATA_JAVA_OPTS" --arg extra "$STRATA_EXTRA_OPTS" --argjson ready "${STRATA_READY_MS:-null}" \
        --argjson rss0 "${STRATA_RSS_READY_MB:-null}" --argjson rss "$(rss_mb "$STRATA_PID")" \
        --argjson hwm "$(rss_peak_mb "$STRATA_PID")" \
        '{java_opts: $jopts, extra_opts: $extra, ready_ms: $ready, rss_at_ready_mb: $rss0, rss_now_mb: $rss,
          rss_peak_mb: $hwm}'
}

# A few counters of Strata's own (failures, skipped layers, write-backs, rejections) as JSON.
strata_counters() {
    curl -sf "http://127.0.0.1:$STRATA_MGMT_PORT/q/metrics" 2>/dev/null \
        | awk '/^strata_(cache_layer_failures_total|cache_layer_skipped_total|cache_writeback_total|upstream_rejected_total|upstream_retries_total|stream_client_disconnects_total|cache_requests_total)/ {
                 name = $1; value = $2; gsub(/"/, "", name); printf "%s\t%s\n", name, value }' \
        | jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): (.[1] | tonumber)}) | add // {}'
}

# Lines of Strata's log at WARN or above (stack frames left out), for the results file.
strata_warnings() {
    { grep -E ' (WARN|ERROR) ' "$RUN_DIR/strata.log" 2>/dev/null || true; } | cut -c1-300 | sort | uniq -c | sort -rn | head -20 \
        | jq -R -s 'split("\n") | map(select(length > 0) | sub("^ +"; ""))'
}

# median of the numbers read from stdin, one a line (null when there are none)
median() {
    jq -s 'map(select(. != null)) | sort | if length == 0 then null
           elif length % 2 == 1 then .[(length - 1) / 2]
           else (.[length / 2 - 1] + .[length / 2]) / 2 end'
}

# ratio A B with 3 decimals (null when B is 0 or either is null)
ratio() {
    jq -n --argjson a "${1:-null}" --argjson b "${2:-null}" \
        'if $a == null or $b == null or $b == 0 then null else ($a / $b * 1000 | round) / 1000 end'
}

# difference A - B with 3 decimals
minus() {
    jq -n --argjson a "${1:-null}" --argjson b "${2:-null}" \
        'if $a == null or $b == null then null else (($a - $b) * 1000 | round) / 1000 end'
}

machine_json() {
    jq -n --arg host "$(hostname)" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
        --arg mem "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
        --arg java "$(java -version 2>&1 | head -1)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
        --arg commit "$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        --arg dirty "$(git -C "$ROOT_DIR" status --porcelain -- src pom.xml 2>/dev/null | wc -l | tr -d ' ')" \
        --arg built "$(date -u -r "$(ls "${APP_DIR:-/nonexistent}"/app/*.jar 2>/dev/null | head -1)" +%FT%TZ 2>/dev/null || echo unknown)" \
        '{host: $host, kernel: $kernel, cpus: $cpus, memory: $mem, java: $java, load_at_start: $load,
          commit: $commit, uncommitted_src_files: ($dirty | tonumber), strata_jar_built: $built}'
}
