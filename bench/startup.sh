#!/usr/bin/env bash
# Start-up of the packaged JVM application: time from `exec java` to the first answered request
# (a POST /v1/chat/completions that the stub provider answers, so the HTTP client, Redis and
# Postgres paths are all initialised), Quarkus' own "started in", and RSS when the first answer
# arrives, after a short load (wrk, L1 hits) and at its peak. Every variant runs with the JVM preset
# of lib.sh (JVM_PRESET_OPTS) and the default configuration; they differ only in the JDK and the
# class-data archive:
#   jdk17          OpenJDK 17, no application archive (the JDK's default CDS archive only)
#   jdk17-appcds   OpenJDK 17 with an AppCDS archive made by a training run (-XX:ArchiveClassesAtExit)
#   jdk17-appcds-quarkus  OpenJDK 17 with the archive Quarkus builds itself (app-cds.jsa in the
#                  application directory: ./mvnw package -Dquarkus.package.jar.appcds.enabled=true;
#                  it records the classes loaded up to the end of start-up, before any request)
#   jdk25          Temurin 25, no application archive
#   jdk25-aot      Temurin 25 with an AOT cache made by a training run (-XX:AOTCacheOutput, JEP 483/514/515)
#   native         the native executable NATIVE_EXECUTABLE (no JVM options; .github/workflows/native.yml)
# A training run starts the app, sends TRAIN_REQUESTS requests (misses, hits, streams), and stops it
# with SIGTERM; the archive is written as the JVM exits. Rounds alternate the variants (the order
# rotates each round) so machine noise spreads over all of them; medians, minimum and maximum are
# reported. One unmeasured check run per archive variant counts the classes loaded from the archive.
#
# Usage: bash bench/startup.sh                 (about 5 minutes with the defaults)
#        ROUNDS=3 VARIANTS="jdk17 jdk25-aot" bash bench/startup.sh
# Results: bench/results/startup-<timestamp>.json and a markdown table on stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-7}"
VARIANTS="${VARIANTS:-jdk17 jdk17-appcds jdk25 jdk25-aot}"
JDK17_HOME="${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JDK25_HOME="${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
LOAD_SECONDS="${LOAD_SECONDS:-10}"
LOAD_CONNECTIONS="${LOAD_CONNECTIONS:-16}"
TRAIN_REQUESTS="${TRAIN_REQUESTS:-300}"
FIRST_ANSWER_TIMEOUT_S="${FIRST_ANSWER_TIMEOUT_S:-60}"
RESULT_FILE="${BENCH_RESULT_FILE:-$RESULTS_DIR/startup-$TS.json}"

NATIVE_EXECUTABLE="${NATIVE_EXECUTABLE:-}"
command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
case " $VARIANTS " in *" jdk17"*) [[ -x "$JDK17_HOME/bin/java" ]] || die "no JDK at $JDK17_HOME (set JDK17_HOME)" ;; esac
case " $VARIANTS " in *" jdk25"*) [[ -x "$JDK25_HOME/bin/java" ]] || die "no JDK at $JDK25_HOME (set JDK25_HOME)" ;; esac
case " $VARIANTS " in *" native "*) [[ -x "$NATIVE_EXECUTABLE" ]] || die "set NATIVE_EXECUTABLE to the native executable (target/*-runner)" ;; esac

bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT"
compile_tools
prepare_app
case " $VARIANTS " in *" jdk17-appcds-quarkus "*) [[ -s "$APP_DIR/app-cds.jsa" ]] \
    || die "no app-cds.jsa in $APP_DIR: package with -Dquarkus.package.jar.appcds.enabled=true" ;; esac
create_db
flush_redis
MACHINE="$(machine_json)"
start_stub "$STUB_PORT" 0 8 0

CDS_ARCHIVE="$RUN_DIR/app-cds.jsa"
AOT_CACHE="$RUN_DIR/app.aot"
ARCHIVE_JSON='{}'
CLASSES_JSON='{}'
HIT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"startup bench: the same question every time"}]}'

java_of() {
    case "$1" in
        jdk17*) echo "$JDK17_HOME/bin/java" ;;
        jdk25*) echo "$JDK25_HOME/bin/java" ;;
        native) echo "$NATIVE_EXECUTABLE" ;;
        *) die "unknown variant $1" ;;
    esac
}

archive_opts() { # the JVM options that use a variant's archive
    case "$1" in
        jdk17-appcds) echo "-XX:SharedArchiveFile=$CDS_ARCHIVE" ;;
        jdk17-appcds-quarkus) echo "-XX:SharedArchiveFile=$APP_DIR/app-cds.jsa" ;;
        jdk25-aot) echo "-XX:AOTCache=$AOT_CACHE" ;;
        *) echo "" ;;
    esac
}

# launch VARIANT LOG [extra JVM options...]: starts Strata in the background (STRATA_PID)
launch() {
    local variant="$1" out="$2"
    shift 2
    # shellcheck disable=SC2206
    local jvm=($JVM_PRESET_OPTS) jar=(-jar quarkus-run.jar) exe
    exe="$(java_of "$variant")"
    if [[ "$variant" == native ]]; then
        jvm=()
        jar=()
        exe="$(realpath "$exe")"
    fi
    # From the application directory with a relative class path, as the archive Quarkus builds
    # expects (a class-data archive holds the class path it was made with: another spelling of the
    # same jar disables it)
    cd "$APP_DIR"
    MALLOC_ARENA_MAX=2 "$exe" "${jvm[@]}" "$@" \
        -Dquarkus.http.host=127.0.0.1 -Dquarkus.management.host=127.0.0.1 \
        -Dquarkus.http.port="$STRATA_PORT" -Dquarkus.management.port="$STRATA_MGMT_PORT" \
        -Dquarkus.redis.hosts="redis://$REDIS_HOST:$REDIS_PORT" \
        -Dquarkus.datasource.reactive.url="postgresql://$PG_HOST:$PG_PORT/$BENCH_DB" \
        -Dquarkus.datasource.username="$PG_USER" \
        -Dstrata.upstream.base-url="http://127.0.0.1:$STUB_PORT/v1" \
        "${jar[@]}" >"$out" 2>&1 &
    STRATA_PID=$!
    cd "$OLDPWD"
    PIDS+=("$STRATA_PID")
}

# CPU time (user + system, all threads) process $1 has used so far, in ms: on a shared machine
# this moves much less with the load than the wall-clock time does.
cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}

post() { # post BODY: prints the HTTP status (000 when nothing answered)
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' -d "$1" \
        "http://127.0.0.1:$STRATA_PORT/v1/chat/completions" 2>/dev/null || true
}

# Polls with a fresh prompt every 5 ms until one is answered 200; prints ms since $1 (date +%s%N).
await_first_answer() {
    local start="$1" deadline=$(($(date +%s) + FIRST_ANSWER_TIMEOUT_S)) code
    while true; do
        code="$(post "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"first $RANDOM$RANDOM\"}]}")"
        [[ "$code" == 200 ]] && break
        kill -0 "$STRATA_PID" 2>/dev/null || die "Strata exited before answering"
        (($(date +%s) < deadline)) || die "no answer within ${FIRST_ANSWER_TIMEOUT_S}s"
        sleep 0.005
    done
    echo $((($(date +%s%N) - start) / 1000000))
}

stop_strata() { # SIGTERM and wait for the exit (the archive of a training run is written then)
    kill -TERM "$STRATA_PID" 2>/dev/null || true
    local waited=0
    while kill -0 "$STRATA_PID" 2>/dev/null && ((waited < 1200)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -0 "$STRATA_PID" 2>/dev/null && { kill -KILL "$STRATA_PID"; log "Strata did not stop within 120 s: killed"; }
    wait "$STRATA_PID" 2>/dev/null || true
}

# The same request mix as a client's first minutes: misses, repeats (hits), streams, the models list.
train() {
    local i
    for ((i = 0; i < TRAIN_REQUESTS; i++)); do
        post "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"train $((i % 50))\"}]}" >/dev/null
        if ((i % 10 == 0)); then
            curl -s -N -o /dev/null --max-time 5 -H 'Content-Type: application/json' \
                -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"stream $((i % 30))\"}]}" \
                "http://127.0.0.1:$STRATA_PORT/v1/chat/completions" || true
            curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$STRATA_MGMT_PORT/q/metrics" || true
        fi
    done
}

make_archive() {
    local variant="$1" opts start took
    case "$variant" in
        jdk17-appcds) opts="-XX:ArchiveClassesAtExit=$CDS_ARCHIVE" ;;
        jdk25-aot) opts="-XX:AOTCacheOutput=$AOT_CACHE" ;;
        *) return 0 ;;
    esac
    log "$variant: training run ($TRAIN_REQUESTS requests) with $opts"
    start=$(date +%s%N)
    launch "$variant" "$RUN_DIR/train-$variant.log" "$opts"
    await_first_answer "$start" >/dev/null
    train
    stop_strata
    took=$((($(date +%s%N) - start) / 1000000))
    local file="${opts#*=}"
    [[ -s "$file" ]] || die "$variant: the training run wrote no archive (see $RUN_DIR/train-$variant.log)"
    log "$variant: archive $(du -h "$file" | cut -f1) in ${took} ms"
    ARCHIVE_JSON="$(jq -c --arg v "$variant" --argjson mb "$(du -m "$file" | cut -f1)" --argjson ms "$took" \
        '. + {($v): {archive_mb: $mb, training_run_ms: $ms}}' <<<"$ARCHIVE_JSON")"
}

# One unmeasured run with class-load logging: how many classes came from an archive, of how many.
check_archive_use() {
    local variant="$1" start logfile="$RUN_DIR/classload-$1.log" total shared
    [[ "$variant" != native ]] || return 0
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    launch "$variant" "$RUN_DIR/check-$variant.log" $(archive_opts "$variant") "-Xlog:class+load=info:file=$logfile"
    await_first_answer "$start" >/dev/null
    stop_strata
    total="$(grep -c 'source:' "$logfile" || true)"
    shared="$(grep -c 'source: shared objects file' "$logfile" || true)"
    log "$variant: $shared of $total classes loaded at start-up came from an archive"
    CLASSES_JSON="$(jq -c --arg v "$variant" --argjson t "$total" --argjson s "$shared" \
        '. + {($v): {classes_loaded: $t, from_archive: $s}}' <<<"$CLASSES_JSON")"
}

cat >"$RUN_DIR/hit.lua" <<EOF
wrk.method = "POST"
wrk.body = '$HIT_BODY'
wrk.headers["Content-Type"] = "application/json"
EOF

read -r -a VARIANT_LIST <<<"$VARIANTS"
for v in "${VARIANT_LIST[@]}"; do
    java_of "$v" >/dev/null
    make_archive "$v"
done
for v in "${VARIANT_LIST[@]}"; do
    check_archive_use "$v"
done

ROWS="$RUN_DIR/rounds.jsonl"
: >"$ROWS"
n=${#VARIANT_LIST[@]}
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < n; k++)); do
        v="${VARIANT_LIST[$(((k + round - 1) % n))]}"
        flush_redis
        start=$(date +%s%N)
        # shellcheck disable=SC2046
        launch "$v" "$RUN_DIR/strata-$v-$round.log" $(archive_opts "$v")
        first_ms="$(await_first_answer "$start")"
        cpu_first="$(cpu_ms "$STRATA_PID")"
        rss_first="$(rss_mb "$STRATA_PID")"
        started="$(grep -oE 'started in [0-9.]+s' "$RUN_DIR/strata-$v-$round.log" | grep -oE '[0-9.]+' | head -1)"
        post "$HIT_BODY" >/dev/null
        sleep 0.2
        run_child "$RUN_DIR/wrk-$v-$round.txt" wrk -t2 -c"$LOAD_CONNECTIONS" -d"${LOAD_SECONDS}s" --timeout 5s \
            -s "$RUN_DIR/hit.lua" "http://127.0.0.1:$STRATA_PORT/v1/chat/completions"
        rps="$(awk '/Requests\/sec/ {print $2}' "$RUN_DIR/wrk-$v-$round.txt")"
        rss_load="$(rss_mb "$STRATA_PID")"
        rss_peak="$(rss_peak_mb "$STRATA_PID")"
        stop_strata
        log "round $round $v: first answer ${first_ms} ms, ${cpu_first} ms of CPU (Quarkus: started in ${started:-?} s), RSS ${rss_first} MB at first answer, ${rss_load} MB after ${LOAD_SECONDS}s of load (${rps} req/s), peak ${rss_peak} MB"
        jq -nc --arg v "$v" --argjson r "$round" --argjson first "$first_ms" --argjson cpu "$cpu_first" --argjson started "${started:-null}" \
            --argjson rss0 "$rss_first" --argjson rss1 "$rss_load" --argjson hwm "$rss_peak" --argjson rps "${rps:-null}" \
            '{variant: $v, round: $r, first_answer_ms: $first, cpu_ms_to_first_answer: $cpu, quarkus_started_s: $started, rss_first_answer_mb: $rss0,
              rss_after_load_mb: $rss1, rss_peak_mb: $hwm, load_rps: $rps}' >>"$ROWS"
    done
done

SUMMARY="$(jq -s --argjson classes "$CLASSES_JSON" --argjson archives "$ARCHIVE_JSON" '
    def med: sort | if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def stats(f): map(f) | map(select(. != null)) | {median: med, min: min, max: max};
    group_by(.variant) | map({key: .[0].variant, value: {
        rounds: length,
        first_answer_ms: stats(.first_answer_ms), cpu_ms_to_first_answer: stats(.cpu_ms_to_first_answer),
        quarkus_started_s: stats(.quarkus_started_s),
        rss_first_answer_mb: stats(.rss_first_answer_mb), rss_after_load_mb: stats(.rss_after_load_mb),
        rss_peak_mb: stats(.rss_peak_mb), load_rps: stats(.load_rps),
        classes: $classes[.[0].variant], archive: $archives[.[0].variant]}}) | from_entries' "$ROWS")"
# Ratios against jdk17 inside each round (same moment, same machine load), then their median: less
# exposed to the load moving between rounds than a ratio of medians.
PAIRED="$(jq -s 'def med: sort | if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    (map(select(.variant == "jdk17")) | map({(.round | tostring): .}) | add // {}) as $base
    | map(select($base[.round | tostring] != null) | . as $row | $base[.round | tostring] as $b
          | {variant, wall: ($row.first_answer_ms / $b.first_answer_ms), cpu: ($row.cpu_ms_to_first_answer / $b.cpu_ms_to_first_answer)})
    | group_by(.variant) | map({key: .[0].variant, value: {
        first_answer_vs_jdk17: (map(.wall) | med * 100 | round / 100),
        cpu_vs_jdk17: (map(.cpu) | med * 100 | round / 100)}}) | from_entries' "$ROWS")"
SUMMARY="$(jq --argjson paired "$PAIRED" 'with_entries(.value += ($paired[.key] // {}))' <<<"$SUMMARY")"
BASE="$(jq -r '.jdk17.first_answer_ms.median // empty' <<<"$SUMMARY")"
BASE_CPU="$(jq -r '.jdk17.cpu_ms_to_first_answer.median // empty' <<<"$SUMMARY")"
jq -n --argjson machine "$MACHINE" --argjson summary "$SUMMARY" --slurpfile rounds "$ROWS" \
    --arg opts "$JVM_PRESET_OPTS" --argjson load "$LOAD_SECONDS" --argjson conns "$LOAD_CONNECTIONS" \
    --argjson train "$TRAIN_REQUESTS" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '{machine: ($machine + {load_at_end: $load_end}), jvm_preset: $opts, load_seconds: $load, load_connections: $conns,
      training_requests: $train, summary: $summary, rounds: $rounds}' >"$RESULT_FILE"

echo
echo "| variant | first answer ms, median (min-max) | vs jdk17 (median of per-round ratios) | CPU ms to first answer, median (min-max) | vs jdk17 (per round) | Quarkus started in s | RSS at first answer MB | RSS after ${LOAD_SECONDS}s load MB | peak RSS MB | load req/s | classes from archive |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for v in "${VARIANT_LIST[@]}"; do
    jq -r --arg v "$v" --argjson base "${BASE:-null}" --argjson cbase "${BASE_CPU:-null}" 'def vs($x; $b): if $b then (($x / $b * 100 | round) / 100 | tostring) + "x" else "-" end;
        .[$v] as $s | "| \($v) | \($s.first_answer_ms.median) (\($s.first_answer_ms.min)-\($s.first_answer_ms.max)) | \($s.first_answer_vs_jdk17 // "-")x | \($s.cpu_ms_to_first_answer.median) (\($s.cpu_ms_to_first_answer.min)-\($s.cpu_ms_to_first_answer.max)) | \($s.cpu_vs_jdk17 // "-")x | \($s.quarkus_started_s.median) | \($s.rss_first_answer_mb.median) | \($s.rss_after_load_mb.median) | \($s.rss_peak_mb.median) | \($s.load_rps.median) | \(if $s.classes then "\($s.classes.from_archive) of \($s.classes.classes_loaded)" else "-" end) |"' <<<"$SUMMARY"
done
echo
log "results: $RESULT_FILE"
