#!/usr/bin/env bash
# Hit and miss paths (SPEC §9):
#   (a) L1-hit throughput and latency against nginx's proxy cache serving the same POST (target:
#       at least 0.5x nginx's requests/s, p99 no worse than 2x): wrk with one fixed chat body,
#       both caches warmed first, then alternating rounds nginx, strata, nginx, strata, ...;
#   (b) the miss path against a 50 ms upstream (target: added p50 under 1 ms, no throughput lost):
#       non-streamed unique bodies (StreamBench --mode post) directly against the stub vs through
#       Strata, alternating rounds.
# Ratios are strata/baseline of the medians of the rounds (per-round pairs are kept as well).
#
# Usage: bash bench/hits.sh        (environment variables below; short check: see bench/README.md)
# Results: bench/results/hits-<timestamp>.json, a summary on stdout, logs in /tmp/strata-bench-*.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-5}"                       # hit rounds per side
ROUND_SECONDS="${ROUND_SECONDS:-10}"        # length of one wrk round
WARMUP_SECONDS="${WARMUP_SECONDS:-10}"      # unmeasured wrk run against each side before the rounds
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
MISS_ROUNDS="${MISS_ROUNDS:-$ROUNDS}"       # miss rounds per side
MISS_REQUESTS="${MISS_REQUESTS:-3000}"      # unique requests per miss round
MISS_WARMUP="${MISS_WARMUP:-1000}"          # unmeasured unique requests before each miss round
MISS_CONCURRENCY="${MISS_CONCURRENCY:-32}"
MISS_LATENCY_MS="${MISS_LATENCY_MS:-50}"    # the stub's answer delay
MISS_MAX_SECONDS="${MISS_MAX_SECONDS:-300}" # a miss round stops issuing requests after this
INSTALL_TOOLS="${INSTALL_TOOLS:-1}"         # 1: apt-get install nginx-light and wrk when missing
DEFAULT_HIT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France? Answer in one word."}],"temperature":0}'
HIT_BODY="${HIT_BODY:-$DEFAULT_HIT_BODY}"  # the one body both caches serve
# HIT-L1 by default; HIT-NEAR with STRATA_EXTRA_OPTS=-Dstrata.cache.near.enabled=true
STRATA_HIT_STATUS="${STRATA_HIT_STATUS:-HIT-L1}"

install_tools() {
    command -v nginx >/dev/null && command -v wrk >/dev/null && return 0
    [[ "$INSTALL_TOOLS" == 1 ]] || die "nginx and wrk are required (apt-get install nginx-light wrk)"
    [[ "$(id -u)" == 0 ]] || die "nginx/wrk missing and not root: run apt-get install -y nginx-light wrk first"
    log "installing nginx-light and wrk"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
    command -v nginx >/dev/null && command -v wrk >/dev/null || die "could not install nginx and wrk"
}

install_tools
bench_init
require_free_ports "$STUB_PORT" "$STRATA_PORT" "$STRATA_MGMT_PORT" "$NGINX_PORT"
compile_tools
prepare_app
create_db
flush_redis
MACHINE="$(machine_json)"

start_stub "$STUB_PORT" "$MISS_LATENCY_MS" 50 0
start_strata "$STUB_PORT"

# ---- a throwaway nginx with a proxy cache for POST in front of the stub ----
NGINX_DIR="$RUN_DIR/nginx"
mkdir -p "$NGINX_DIR"/{cache,tmp,logs}
user_line=""
if [[ "$(id -u)" == 0 ]]; then
    user_line="user nobody nogroup;"
    chown -R nobody:nogroup "$NGINX_DIR/cache" "$NGINX_DIR/tmp" 2>/dev/null || chmod -R 777 "$NGINX_DIR/cache" "$NGINX_DIR/tmp"
fi
cat >"$NGINX_DIR/nginx.conf" <<EOF
$user_line
worker_processes auto;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path $NGINX_DIR/tmp/body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    proxy_cache_path $NGINX_DIR/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;
    upstream stub {
        server 127.0.0.1:$STUB_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # \$request_body is only set when the body is read into one memory buffer.
        client_body_buffer_size 1m;
        client_body_in_single_buffer on;
        client_max_body_size 8m;
        location / {
            proxy_pass http://stub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering on;
            proxy_cache bench;
            proxy_cache_methods POST;
            proxy_cache_key "\$request_uri|\$request_body";
            proxy_cache_valid 200 10m;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
    }
}
EOF
nginx -t -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" >"$NGINX_DIR/logs/test.log" 2>&1 \
    || die "nginx config invalid: $(cat "$NGINX_DIR/logs/test.log")"
nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" >"$NGINX_DIR/logs/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for _ in $(seq 1 50); do
    port_free "$NGINX_PORT" || break
    kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$NGINX_DIR/logs/error.log")"
    sleep 0.1
done
port_free "$NGINX_PORT" && die "nginx did not listen on $NGINX_PORT"
log "nginx pid $NGINX_PID on 127.0.0.1:$NGINX_PORT ($(nginx -v 2>&1 | sed 's/.*: //'))"

NGINX_URL="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
STRATA_URL="http://127.0.0.1:$STRATA_PORT/v1/chat/completions"
DIRECT_URL="http://127.0.0.1:$STUB_PORT/v1/chat/completions"

# ---- (a) hits ----
cat >"$RUN_DIR/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [==[$HIT_BODY]==]
wrk.headers["Content-Type"] = "application/json"
EOF

cache_status_of() { # the X-Cache-Status a POST of the fixed body gets
    curl -s -o /dev/null -D - -X POST -H 'Content-Type: application/json' --data-binary "$HIT_BODY" "$1" \
        | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache-status" {print $2}'
}
for _ in 1 2 3; do
    NGINX_STATUS="$(cache_status_of "$NGINX_URL")"
    STRATA_STATUS="$(cache_status_of "$STRATA_URL")"
    [[ "$NGINX_STATUS" == HIT && "$STRATA_STATUS" == "$STRATA_HIT_STATUS" ]] && break
    sleep 0.5
done
[[ "$NGINX_STATUS" == HIT ]] || die "nginx does not answer the fixed body from its cache (X-Cache-Status: $NGINX_STATUS)"
[[ "$STRATA_STATUS" == "$STRATA_HIT_STATUS" ]] || die "Strata does not answer the fixed body as $STRATA_HIT_STATUS (X-Cache-Status: $STRATA_STATUS)"
log "both caches hold the body (nginx $NGINX_STATUS, Strata $STRATA_STATUS)"

to_ms() { # wrk latency (e.g. 511.00us, 1.20ms, 2.01s) in milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n = n / 1000; else if (u == "s") n = n * 1000; else if (u == "m") n = n * 60000
        printf "%.3f", n }'
}

wrk_round() { # wrk_round LABEL URL SECONDS OUT: one JSON line in OUT
    local label="$1" url="$2" seconds="$3" result="$4" out
    run_child "$RUN_DIR/wrk.txt" timeout --signal=KILL $((seconds + 60)) wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" \
        -d"${seconds}s" --latency -s "$RUN_DIR/post.lua" "$url"
    out="$(cat "$RUN_DIR/wrk.txt")"
    echo "$out" >>"$RUN_DIR/wrk-$label.txt"
    local rps p50 p90 p99 requests non2xx sockerr
    rps="$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')"
    p50="$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")"
    p90="$(to_ms "$(echo "$out" | awk '$1 == "90%" {print $2}')")"
    p99="$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")"
    requests="$(echo "$out" | awk '/requests in/ {print $1}')"
    non2xx="$(echo "$out" | awk -F': ' '/Non-2xx or 3xx responses/ {print $2}')"
    sockerr="$(echo "$out" | awk -F'errors: ' '/Socket errors/ {print $2}')"
    jq -n -c --arg lbl "$label" --argjson rps "${rps:-null}" --argjson p50 "${p50:-null}" --argjson p90 "${p90:-null}" \
        --argjson p99 "${p99:-null}" --argjson requests "${requests:-null}" --argjson non2xx "${non2xx:-0}" \
        --arg sockerr "${sockerr:-}" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
        '{"label": $lbl, requests_per_s: $rps, p50_ms: $p50, p90_ms: $p90, p99_ms: $p99, requests: $requests,
          non_2xx: $non2xx, socket_errors: (if $sockerr == "" then null else $sockerr end), load: ($load | tonumber)}' >"$result"
}

log "(a) warm-up: ${WARMUP_SECONDS}s of wrk against each"
wrk_round warmup-nginx "$NGINX_URL" "$WARMUP_SECONDS" "$RUN_DIR/round.json"
wrk_round warmup-strata "$STRATA_URL" "$WARMUP_SECONDS" "$RUN_DIR/round.json"
HITS_BEFORE="$(strata_counters)"
HITS_FILE="$RUN_DIR/hits.jsonl"
: >"$HITS_FILE"
log "(a) hits: $ROUNDS rounds per side of ${ROUND_SECONDS}s, $WRK_CONNECTIONS connections, $WRK_THREADS threads"
for round in $(seq 1 "$ROUNDS"); do
    for side in nginx strata; do
        url="$NGINX_URL"
        [[ "$side" == strata ]] && url="$STRATA_URL"
        wrk_round "$side" "$url" "$ROUND_SECONDS" "$RUN_DIR/round.json"
        line="$(jq -c --argjson round "$round" '. + {round: $round}' "$RUN_DIR/round.json")"
        echo "$line" >>"$HITS_FILE"
        echo "$line" | jq -r '"  round \(.round) \(.label | (. + "      ")[0:6]) \(.requests_per_s) req/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms  non-2xx \(.non_2xx)  load \(.load)"' >&2
    done
done
HITS_AFTER="$(strata_counters)"
NGINX_STATUS_AFTER="$(cache_status_of "$NGINX_URL")"
STRATA_STATUS_AFTER="$(cache_status_of "$STRATA_URL")"

med() { # med FILE LABEL JQ_PATH
    jq -r --arg l "$2" "select(.label == \$l) | $3" "$1" | median
}
pair_ratios() { # pair_ratios FILE A B JQ_PATH: median of the per-round ratios A/B
    jq -s -r --arg a "$2" --arg b "$3" "group_by(.round) | map({a: (map(select(.label == \$a))[0] | $4), b: (map(select(.label == \$b))[0] | $4)})
        | map(select(.a != null and .b != null and .b != 0) | .a / .b) | .[]" "$1" | median \
        | jq 'if . == null then null else (. * 1000 | round) / 1000 end'
}
N_RPS="$(med "$HITS_FILE" nginx .requests_per_s)"
S_RPS="$(med "$HITS_FILE" strata .requests_per_s)"
N_P50="$(med "$HITS_FILE" nginx .p50_ms)"
S_P50="$(med "$HITS_FILE" strata .p50_ms)"
N_P99="$(med "$HITS_FILE" nginx .p99_ms)"
S_P99="$(med "$HITS_FILE" strata .p99_ms)"
HITS_JSON="$(jq -n \
    --argjson nrps "$N_RPS" --argjson srps "$S_RPS" --argjson np50 "$N_P50" --argjson sp50 "$S_P50" \
    --argjson np99 "$N_P99" --argjson sp99 "$S_P99" \
    --argjson rrps "$(ratio "$S_RPS" "$N_RPS")" --argjson rp50 "$(ratio "$S_P50" "$N_P50")" --argjson rp99 "$(ratio "$S_P99" "$N_P99")" \
    --argjson prps "$(pair_ratios "$HITS_FILE" strata nginx .requests_per_s)" \
    --argjson pp99 "$(pair_ratios "$HITS_FILE" strata nginx .p99_ms)" \
    --argjson before "$HITS_BEFORE" --argjson after "$HITS_AFTER" \
    --arg ns "$NGINX_STATUS_AFTER" --arg ss "$STRATA_STATUS_AFTER" \
    --slurpfile rounds "$HITS_FILE" \
    '{median_of_rounds: {nginx: {requests_per_s: $nrps, p50_ms: $np50, p99_ms: $np99},
                          strata: {requests_per_s: $srps, p50_ms: $sp50, p99_ms: $sp99}},
      ratio_strata_over_nginx: {requests_per_s: $rrps, p50: $rp50, p99: $rp99},
      median_of_round_pair_ratios: {requests_per_s: $prps, p99: $pp99},
      strata_requests_by_status_during_rounds: ($after | with_entries(select(.key | startswith("strata_cache_requests_total")))
          | with_entries(.value -= ($before[.key] // 0)) | with_entries(select(.value > 0))),
      x_cache_status_after: {nginx: $ns, strata: $ss},
      rounds: $rounds}')"

# ---- (b) misses against a slow upstream ----
MISS_FILE="$RUN_DIR/misses.jsonl"
: >"$MISS_FILE"
log "(b) misses: $MISS_ROUNDS rounds per side, $MISS_REQUESTS unique non-streamed requests at concurrency $MISS_CONCURRENCY (+$MISS_WARMUP warm-up), stub latency ${MISS_LATENCY_MS} ms"
for round in $(seq 1 "$MISS_ROUNDS"); do
    for side in direct strata; do
        url="$DIRECT_URL"
        [[ "$side" == strata ]] && url="$STRATA_URL"
        run_child "$RUN_DIR/round.json" timeout --signal=KILL $((MISS_MAX_SECONDS + 180)) java -cp "$CLASSES" StreamBench \
            --mode post --label "$side" --url "$url" --concurrency "$MISS_CONCURRENCY" --requests "$MISS_REQUESTS" \
            --warmup "$MISS_WARMUP" --max-seconds "$MISS_MAX_SECONDS" --pid "$STRATA_PID"
        line="$(jq -c --argjson round "$round" --arg load "$(cut -d' ' -f1 /proc/loadavg)" '. + {round: $round, load: ($load | tonumber)}' "$RUN_DIR/round.json")"
        echo "$line" >>"$MISS_FILE"
        echo "$line" | jq -r '"  round \(.round) \(.label | (. + "      ")[0:6]) ok \(.ok)/\(.requests)  \(.throughput_rps) req/s  p50 \(.total_ms.p50) ms  p99 \(.total_ms.p99) ms  \(.cache_status | tostring) \(.errors | tostring)"' >&2
    done
done
D_RPS="$(med "$MISS_FILE" direct .throughput_rps)"
M_RPS="$(med "$MISS_FILE" strata .throughput_rps)"
D_P50="$(med "$MISS_FILE" direct .total_ms.p50)"
M_P50="$(med "$MISS_FILE" strata .total_ms.p50)"
D_P99="$(med "$MISS_FILE" direct .total_ms.p99)"
M_P99="$(med "$MISS_FILE" strata .total_ms.p99)"
MISS_JSON="$(jq -n \
    --argjson drps "$D_RPS" --argjson mrps "$M_RPS" --argjson dp50 "$D_P50" --argjson mp50 "$M_P50" \
    --argjson dp99 "$D_P99" --argjson mp99 "$M_P99" \
    --argjson rrps "$(ratio "$M_RPS" "$D_RPS")" --argjson a50 "$(minus "$M_P50" "$D_P50")" --argjson a99 "$(minus "$M_P99" "$D_P99")" \
    --argjson r50 "$(ratio "$M_P50" "$D_P50")" \
    --argjson failed "$(jq -s 'map(.failed) | add' "$MISS_FILE")" \
    --slurpfile rounds "$MISS_FILE" \
    '{median_of_rounds: {direct: {requests_per_s: $drps, p50_ms: $dp50, p99_ms: $dp99},
                          strata: {requests_per_s: $mrps, p50_ms: $mp50, p99_ms: $mp99}},
      ratio_strata_over_direct: {requests_per_s: $rrps, p50: $r50},
      added_ms: {p50: $a50, p99: $a99},
      failed_requests: $failed,
      rounds: $rounds}')"

COUNTERS="$(strata_counters)"
WARNINGS="$(strata_warnings)"
OUT="$RESULTS_DIR/hits-$TS.json"
jq -n --arg ts "$TS" --argjson machine "$MACHINE" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --argjson settings "$(jq -n --argjson rounds "$ROUNDS" --argjson secs "$ROUND_SECONDS" --argjson warm "$WARMUP_SECONDS" \
        --argjson conns "$WRK_CONNECTIONS" --argjson threads "$WRK_THREADS" --argjson mrounds "$MISS_ROUNDS" \
        --argjson mreq "$MISS_REQUESTS" --argjson mwarm "$MISS_WARMUP" --argjson mconc "$MISS_CONCURRENCY" \
        --argjson mlat "$MISS_LATENCY_MS" --arg body "$HIT_BODY" --arg nginx "$(nginx -v 2>&1 | sed 's/.*: //')" \
        --arg wrk "$(wrk -v 2>&1 | head -1)" --arg jopts "$STRATA_JAVA_OPTS" --arg extra "$STRATA_EXTRA_OPTS" \
        '{hit_rounds_per_side: $rounds, round_seconds: $secs, warmup_seconds: $warm, wrk_connections: $conns,
          wrk_threads: $threads, miss_rounds_per_side: $mrounds, miss_requests_per_round: $mreq,
          miss_warmup_per_round: $mwarm, miss_concurrency: $mconc, miss_upstream_latency_ms: $mlat,
          hit_body: $body, nginx: $nginx, wrk: $wrk, strata_java_opts: $jopts, strata_extra_opts: $extra}')" \
    --argjson hits "$HITS_JSON" --argjson misses "$MISS_JSON" \
    --argjson rss "$(rss_mb "$STRATA_PID")" --argjson counters "$COUNTERS" --argjson warnings "$WARNINGS" \
    '{benchmark: "hits", timestamp: $ts, machine: ($machine + {load_at_end: $load_end}), settings: $settings,
      l1_hits_vs_nginx: $hits, misses_vs_direct: $misses,
      strata_rss_mb_at_end: $rss, strata_counters: $counters, strata_log_warnings: $warnings}' >"$OUT"

jq -r '
  def f: if . == null then "n/a" else tostring end;
  "",
  "Strata hit/miss benchmark \(.timestamp)  (commit \(.machine.commit), \(.machine.cpus) CPUs, load average \(.machine.load_at_start) at start, \(.machine.load_at_end) at end)",
  "(a) L1 hits vs nginx proxy_cache, median of \(.settings.hit_rounds_per_side) rounds of \(.settings.round_seconds) s, wrk -c\(.settings.wrk_connections) -t\(.settings.wrk_threads):",
  "      nginx   \(.l1_hits_vs_nginx.median_of_rounds.nginx.requests_per_s | f) req/s   p50 \(.l1_hits_vs_nginx.median_of_rounds.nginx.p50_ms | f) ms   p99 \(.l1_hits_vs_nginx.median_of_rounds.nginx.p99_ms | f) ms",
  "      strata  \(.l1_hits_vs_nginx.median_of_rounds.strata.requests_per_s | f) req/s   p50 \(.l1_hits_vs_nginx.median_of_rounds.strata.p50_ms | f) ms   p99 \(.l1_hits_vs_nginx.median_of_rounds.strata.p99_ms | f) ms",
  "      strata/nginx  throughput \(.l1_hits_vs_nginx.ratio_strata_over_nginx.requests_per_s | f)x [target >= 0.5]   p50 \(.l1_hits_vs_nginx.ratio_strata_over_nginx.p50 | f)x   p99 \(.l1_hits_vs_nginx.ratio_strata_over_nginx.p99 | f)x [target <= 2]",
  "      Strata answers during the rounds: \(.l1_hits_vs_nginx.strata_requests_by_status_during_rounds | tostring)",
  "(b) misses, \(.settings.miss_upstream_latency_ms) ms upstream, concurrency \(.settings.miss_concurrency), median of \(.settings.miss_rounds_per_side) rounds:",
  "      direct  \(.misses_vs_direct.median_of_rounds.direct.requests_per_s | f) req/s   p50 \(.misses_vs_direct.median_of_rounds.direct.p50_ms | f) ms   p99 \(.misses_vs_direct.median_of_rounds.direct.p99_ms | f) ms",
  "      strata  \(.misses_vs_direct.median_of_rounds.strata.requests_per_s | f) req/s   p50 \(.misses_vs_direct.median_of_rounds.strata.p50_ms | f) ms   p99 \(.misses_vs_direct.median_of_rounds.strata.p99_ms | f) ms",
  "      strata/direct  throughput \(.misses_vs_direct.ratio_strata_over_direct.requests_per_s | f)x [target: no loss]   added p50 \(.misses_vs_direct.added_ms.p50 | f) ms [target < 1]   added p99 \(.misses_vs_direct.added_ms.p99 | f) ms; failed \(.misses_vs_direct.failed_requests | f)",
  "Strata RSS at the end: \(.strata_rss_mb_at_end | f) MB",
  (if (.strata_log_warnings | length) > 0 then "Strata log warnings/errors (count, line):", (.strata_log_warnings[] | "      " + .) else empty end),
  ""' "$OUT"
log "results: $OUT"
