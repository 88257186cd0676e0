#!/usr/bin/env bash
# Hit and miss paths:
#   (a) L1-hit throughput and latency against nginx's proxy cache serving the same POST (target:
#       at least 0.5x nginx's requests/s, p99 no worse than 2x): wrk with one fixed chat body.
#       Cold: right after Strata is ready and both caches hold the body, one round of COLD_SECONDS
#       against Strata, then one against nginx, before anything is warmed. Warm: WARMUP_SECONDS
#       of unmeasured wrk against each side, then alternating rounds nginx, strata, nginx, ...
#       With STRATA_EXTRA_OPTS=-Dstrata.cache.near.enabled=true STRATA_HIT_STATUS=HIT-NEAR the same
#       measures near-cache hits (target: at least 0.8x nginx);
#   (b) the miss path against a 50 ms upstream (target: added p50 under 1 ms, no throughput lost,
#       no errors): non-streamed unique bodies (StreamBench --mode post) directly against the stub
#       vs through Strata, alternating rounds. SKIP_MISSES=1 leaves it out.
# Ratios are strata/baseline of the medians of the rounds (per-round pairs are kept as well).
# Strata runs with its default configuration and the JVM preset of lib.sh (JVM_PRESET_OPTS).
#
# Usage: bash bench/hits.sh        (environment variables below; short check: see bench/README.md)
# Results: bench/results/hits-<timestamp>.json (or BENCH_RESULT_FILE), with the key figures in its
# `summary` object; a summary on stdout, logs in /tmp/strata-bench-*.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS="${ROUNDS:-5}"                       # hit rounds per side
ROUND_SECONDS="${ROUND_SECONDS:-10}"        # length of one wrk round
COLD_SECONDS="${COLD_SECONDS:-5}"           # the cold round (each side), before any warm-up; 0: none
WARMUP_SECONDS="${WARMUP_SECONDS:-20}"      # unmeasured wrk run against each side before the rounds
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
WRK_THREADS="${WRK_THREADS:-2}"
MISS_ROUNDS="${MISS_ROUNDS:-$ROUNDS}"       # miss rounds per side
MISS_REQUESTS="${MISS_REQUESTS:-3000}"      # unique requests per miss round
MISS_WARMUP="${MISS_WARMUP:-6000}"          # unmeasured unique requests before each miss round (about 15 s: the miss path has its own code to compile)
MISS_CONCURRENCY="${MISS_CONCURRENCY:-32}"
MISS_LATENCY_MS="${MISS_LATENCY_MS:-50}"    # the stub's answer delay
MISS_MAX_SECONDS="${MISS_MAX_SECONDS:-300}" # a miss round stops issuing requests after this
SKIP_MISSES="${SKIP_MISSES:-0}"             # 1: hits only, no (b)
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
for _ in 1 2 3 4 5 6; do
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
        --arg sockerr "${sockerr:-}" --arg load "$(cut -d' ' -f1 /proc/loadavg)" --argjson secs "$seconds" \
        '{"label": $lbl, seconds: $secs, requests_per_s: $rps, p50_ms: $p50, p90_ms: $p90, p99_ms: $p99, requests: $requests,
          non_2xx: $non2xx, socket_errors: (if $sockerr == "" then null else $sockerr end),
          socket_errors_total: ([$sockerr | scan("[0-9]+") | tonumber] | add // 0), load: ($load | tonumber)}' >"$result"
}
print_round() { # one JSON line of wrk_round on stderr, human-readable
    jq -r '"  \(if .round then "round \(.round)" else "       " end) \(.label | (. + "            ")[0:12]) \(.requests_per_s) req/s  p50 \(.p50_ms) ms  p99 \(.p99_ms) ms  non-2xx \(.non_2xx)  socket errors \(.socket_errors_total)  load \(.load)"' >&2
}

# ---- (a) cold: one round against each, Strata first, before anything has been warmed ----
COLD_JSON=null
COLD_BEFORE="$(strata_counters)"
if ((COLD_SECONDS > 0)); then
    log "(a) cold: ${COLD_SECONDS}s of wrk against Strata (ready in ${STRATA_READY_MS} ms, caches primed), then against nginx"
    wrk_round cold-strata "$STRATA_URL" "$COLD_SECONDS" "$RUN_DIR/cold-strata.json"
    print_round <"$RUN_DIR/cold-strata.json"
    wrk_round cold-nginx "$NGINX_URL" "$COLD_SECONDS" "$RUN_DIR/cold-nginx.json"
    print_round <"$RUN_DIR/cold-nginx.json"
    COLD_JSON="$(jq -n --slurpfile s "$RUN_DIR/cold-strata.json" --slurpfile n "$RUN_DIR/cold-nginx.json" \
        '$s[0] as $s | $n[0] as $n
         | def r(a; b): if a == null or b == null or b == 0 then null else (a / b * 1000 | round) / 1000 end;
         {nginx: $n, strata: $s,
          ratio_strata_over_nginx: {requests_per_s: r($s.requests_per_s; $n.requests_per_s), p50: r($s.p50_ms; $n.p50_ms),
                                    p99: r($s.p99_ms; $n.p99_ms)}}')"
    COLD_JSON="$(jq --argjson before "$COLD_BEFORE" --argjson after "$(strata_counters)" \
        '. + {strata_requests_by_status: ($after | with_entries(select(.key | startswith("strata_cache_requests_total")))
              | with_entries(.value -= ($before[.key] // 0)) | with_entries(select(.value > 0)))}' <<<"$COLD_JSON")"
fi

if ((WARMUP_SECONDS > 0)); then
    log "(a) warm-up: ${WARMUP_SECONDS}s of wrk against each"
    wrk_round warmup-nginx "$NGINX_URL" "$WARMUP_SECONDS" "$RUN_DIR/round.json"
    print_round <"$RUN_DIR/round.json"
    wrk_round warmup-strata "$STRATA_URL" "$WARMUP_SECONDS" "$RUN_DIR/round.json"
    print_round <"$RUN_DIR/round.json"
fi
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
        echo "$line" | print_round
    done
done
HITS_AFTER="$(strata_counters)"
NGINX_STATUS_AFTER="$(cache_status_of "$NGINX_URL")"
STRATA_STATUS_AFTER="$(cache_status_of "$STRATA_URL")"
RSS_AFTER_HITS="$(rss_mb "$STRATA_PID")"

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
    --arg ns "$NGINX_STATUS_AFTER" --arg ss "$STRATA_STATUS_AFTER" --arg want "$STRATA_HIT_STATUS" \
    --slurpfile rounds "$HITS_FILE" \
    '($after | with_entries(select(.key | startswith("strata_cache_requests_total")))
          | with_entries(.value -= ($before[.key] // 0)) | with_entries(select(.value > 0))) as $by_status
     | ($by_status | to_entries | map(.value) | add // 0) as $answered
     | ($by_status | to_entries | map(select(.key | test("status=" + $want + "[,}]"))) | map(.value) | add // 0) as $wanted
     | {hit_status: $want,
      median_of_rounds: {nginx: {requests_per_s: $nrps, p50_ms: $np50, p99_ms: $np99},
                          strata: {requests_per_s: $srps, p50_ms: $sp50, p99_ms: $sp99}},
      ratio_strata_over_nginx: {requests_per_s: $rrps, p50: $rp50, p99: $rp99},
      median_of_round_pair_ratios: {requests_per_s: $prps, p99: $pp99},
      errors: {nginx: {non_2xx: ($rounds | map(select(.label == "nginx") | .non_2xx) | add // 0),
                       socket_errors: ($rounds | map(select(.label == "nginx") | .socket_errors_total) | add // 0)},
               strata: {non_2xx: ($rounds | map(select(.label == "strata") | .non_2xx) | add // 0),
                        socket_errors: ($rounds | map(select(.label == "strata") | .socket_errors_total) | add // 0)}},
      strata_requests_by_status_during_rounds: $by_status,
      strata_share_answered_as_hit_status: (if $answered == 0 then null else ($wanted / $answered * 10000 | round) / 10000 end),
      x_cache_status_after: {nginx: $ns, strata: $ss},
      rounds: $rounds}')"

# ---- (b) misses against a slow upstream ----
MISS_JSON=null
if [[ "$SKIP_MISSES" != 1 ]]; then
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
            line="$(jq -c --argjson round "$round" --arg load "$(cut -d' ' -f1 /proc/loadavg)" \
                '. + {round: $round, load: ($load | tonumber),
                      non_200: (.status | to_entries | map(select(.key != "200") | .value) | add // 0)}' "$RUN_DIR/round.json")"
            echo "$line" >>"$MISS_FILE"
            echo "$line" | jq -r '"  round \(.round) \(.label | (. + "      ")[0:6]) ok \(.ok)/\(.requests)  failed \(.failed)  non-200 \(.non_200)  \(.throughput_rps) req/s  p50 \(.total_ms.p50) ms  p99 \(.total_ms.p99) ms  \(.cache_status | tostring) \(.errors | tostring)  load \(.load)"' >&2
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
        --argjson prps "$(pair_ratios "$MISS_FILE" strata direct .throughput_rps)" \
        --slurpfile rounds "$MISS_FILE" \
        'def side(l): $rounds | map(select(.label == l));
         def sum_maps: reduce (.[] | to_entries[]) as $e ({}; .[$e.key] += $e.value);
         {median_of_rounds: {direct: {requests_per_s: $drps, p50_ms: $dp50, p99_ms: $dp99},
                             strata: {requests_per_s: $mrps, p50_ms: $mp50, p99_ms: $mp99}},
          ratio_strata_over_direct: {requests_per_s: $rrps, p50: $r50},
          median_of_round_pair_ratios: {requests_per_s: $prps},
          added_ms: {p50: $a50, p99: $a99},
          requests: {direct: (side("direct") | map(.requests) | add // 0), strata: (side("strata") | map(.requests) | add // 0)},
          failed_requests: ($rounds | map(.failed) | add // 0),
          failed: {direct: (side("direct") | map(.failed) | add // 0), strata: (side("strata") | map(.failed) | add // 0)},
          non_200: {direct: (side("direct") | map(.non_200) | add // 0), strata: (side("strata") | map(.non_200) | add // 0)},
          http_status: {direct: (side("direct") | map(.status) | sum_maps), strata: (side("strata") | map(.status) | sum_maps)},
          strata_cache_status: (side("strata") | map(.cache_status) | sum_maps),
          errors: {direct: (side("direct") | map(.errors) | sum_maps), strata: (side("strata") | map(.errors) | sum_maps)},
          strata_rss_peak_mb_sampled: (side("strata") | map(.rss_peak_mb // empty) | max),
          rounds: $rounds}')"
fi

COUNTERS="$(strata_counters)"
WARNINGS="$(strata_warnings)"
STRATA_RUN="$(strata_run_json)"
OUT="${BENCH_RESULT_FILE:-$RESULTS_DIR/hits-$TS.json}"
jq -n --arg ts "$TS" --argjson machine "$MACHINE" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --argjson settings "$(jq -n --argjson rounds "$ROUNDS" --argjson secs "$ROUND_SECONDS" --argjson warm "$WARMUP_SECONDS" \
        --argjson cold "$COLD_SECONDS" --argjson conns "$WRK_CONNECTIONS" --argjson threads "$WRK_THREADS" --argjson mrounds "$MISS_ROUNDS" \
        --argjson mreq "$MISS_REQUESTS" --argjson mwarm "$MISS_WARMUP" --argjson mconc "$MISS_CONCURRENCY" \
        --argjson mlat "$MISS_LATENCY_MS" --arg body "$HIT_BODY" --arg nginx "$(nginx -v 2>&1 | sed 's/.*: //')" \
        --arg wrk "$(wrk -v 2>&1 | head -1)" --arg jopts "$STRATA_JAVA_OPTS" --arg extra "$STRATA_EXTRA_OPTS" \
        --arg want "$STRATA_HIT_STATUS" --arg skip "$SKIP_MISSES" \
        '{hit_status: $want, cold_seconds: $cold, hit_rounds_per_side: $rounds, round_seconds: $secs, warmup_seconds: $warm,
          wrk_connections: $conns, wrk_threads: $threads, skip_misses: ($skip == "1"), miss_rounds_per_side: $mrounds,
          miss_requests_per_round: $mreq, miss_warmup_per_round: $mwarm, miss_concurrency: $mconc,
          miss_upstream_latency_ms: $mlat, hit_body: $body, nginx: $nginx, wrk: $wrk, strata_java_opts: $jopts,
          strata_extra_opts: $extra}')" \
    --argjson cold "$COLD_JSON" --argjson hits "$HITS_JSON" --argjson misses "$MISS_JSON" --argjson strata "$STRATA_RUN" \
    --argjson rss_hits "$RSS_AFTER_HITS" --argjson counters "$COUNTERS" --argjson warnings "$WARNINGS" \
    '{benchmark: "hits", timestamp: $ts, machine: ($machine + {load_at_end: $load_end}), settings: $settings,
      strata: ($strata + {rss_after_hits_mb: $rss_hits}),
      cold_hits_vs_nginx: $cold, hits_vs_nginx: $hits, misses_vs_direct: $misses,
      strata_rss_mb_at_end: $strata.rss_now_mb, strata_counters: $counters, strata_log_warnings: $warnings}
     | . + {summary: {
         hit_status: .settings.hit_status,
         hits: {nginx_rps: .hits_vs_nginx.median_of_rounds.nginx.requests_per_s,
                strata_rps: .hits_vs_nginx.median_of_rounds.strata.requests_per_s,
                rps_ratio: .hits_vs_nginx.ratio_strata_over_nginx.requests_per_s,
                nginx_p50_ms: .hits_vs_nginx.median_of_rounds.nginx.p50_ms,
                strata_p50_ms: .hits_vs_nginx.median_of_rounds.strata.p50_ms,
                nginx_p99_ms: .hits_vs_nginx.median_of_rounds.nginx.p99_ms,
                strata_p99_ms: .hits_vs_nginx.median_of_rounds.strata.p99_ms,
                p99_ratio: .hits_vs_nginx.ratio_strata_over_nginx.p99,
                strata_errors: (.hits_vs_nginx.errors.strata.non_2xx + .hits_vs_nginx.errors.strata.socket_errors),
                share_answered_as_hit_status: .hits_vs_nginx.strata_share_answered_as_hit_status},
         cold: (if .cold_hits_vs_nginx == null then null else
               {seconds: .settings.cold_seconds,
                nginx_rps: .cold_hits_vs_nginx.nginx.requests_per_s, strata_rps: .cold_hits_vs_nginx.strata.requests_per_s,
                rps_ratio: .cold_hits_vs_nginx.ratio_strata_over_nginx.requests_per_s,
                nginx_p99_ms: .cold_hits_vs_nginx.nginx.p99_ms, strata_p99_ms: .cold_hits_vs_nginx.strata.p99_ms,
                p99_ratio: .cold_hits_vs_nginx.ratio_strata_over_nginx.p99,
                strata_warm_over_cold_rps: (if (.cold_hits_vs_nginx.strata.requests_per_s // 0) == 0 then null
                    else (.hits_vs_nginx.median_of_rounds.strata.requests_per_s / .cold_hits_vs_nginx.strata.requests_per_s * 1000 | round) / 1000 end)} end),
         misses: (if .misses_vs_direct == null then null else
                 {concurrency: .settings.miss_concurrency, upstream_latency_ms: .settings.miss_upstream_latency_ms,
                  direct_rps: .misses_vs_direct.median_of_rounds.direct.requests_per_s,
                  strata_rps: .misses_vs_direct.median_of_rounds.strata.requests_per_s,
                  rps_ratio: .misses_vs_direct.ratio_strata_over_direct.requests_per_s,
                  direct_p50_ms: .misses_vs_direct.median_of_rounds.direct.p50_ms,
                  strata_p50_ms: .misses_vs_direct.median_of_rounds.strata.p50_ms,
                  added_p50_ms: .misses_vs_direct.added_ms.p50, added_p99_ms: .misses_vs_direct.added_ms.p99,
                  strata_requests: .misses_vs_direct.requests.strata,
                  strata_failed: .misses_vs_direct.failed.strata, strata_non_200: .misses_vs_direct.non_200.strata,
                  direct_failed: .misses_vs_direct.failed.direct} end),
         strata_ready_ms: .strata.ready_ms, strata_rss_at_ready_mb: .strata.rss_at_ready_mb,
         strata_rss_peak_mb: .strata.rss_peak_mb, strata_rss_end_mb: .strata.rss_now_mb,
         java_opts: .strata.java_opts, extra_opts: .strata.extra_opts}}' >"$OUT"

jq -r '
  def f: if . == null then "n/a" else tostring end;
  "",
  "Strata hit/miss benchmark \(.timestamp)  (commit \(.machine.commit), \(.machine.cpus) CPUs, load average \(.machine.load_at_start) at start, \(.machine.load_at_end) at end)",
  "Strata: ready in \(.strata.ready_ms | f) ms, RSS \(.strata.rss_at_ready_mb | f) MB when ready, peak \(.strata.rss_peak_mb | f) MB; JVM options: \(.strata.java_opts | if . == "" then "none" else . end)\(if .strata.extra_opts != "" then "; " + .strata.extra_opts else "" end)",
  "(a) \(.settings.hit_status) hits vs nginx proxy_cache, wrk -c\(.settings.wrk_connections) -t\(.settings.wrk_threads):",
  (if .cold_hits_vs_nginx != null then
  "      cold (one \(.settings.cold_seconds) s round each, before warm-up):  nginx \(.cold_hits_vs_nginx.nginx.requests_per_s | f) req/s p99 \(.cold_hits_vs_nginx.nginx.p99_ms | f) ms   strata \(.cold_hits_vs_nginx.strata.requests_per_s | f) req/s p99 \(.cold_hits_vs_nginx.strata.p99_ms | f) ms   ratio \(.cold_hits_vs_nginx.ratio_strata_over_nginx.requests_per_s | f)x, p99 \(.cold_hits_vs_nginx.ratio_strata_over_nginx.p99 | f)x"
   else empty end),
  "      warm (median of \(.settings.hit_rounds_per_side) rounds of \(.settings.round_seconds) s after \(.settings.warmup_seconds) s warm-up each):",
  "      nginx   \(.hits_vs_nginx.median_of_rounds.nginx.requests_per_s | f) req/s   p50 \(.hits_vs_nginx.median_of_rounds.nginx.p50_ms | f) ms   p99 \(.hits_vs_nginx.median_of_rounds.nginx.p99_ms | f) ms",
  "      strata  \(.hits_vs_nginx.median_of_rounds.strata.requests_per_s | f) req/s   p50 \(.hits_vs_nginx.median_of_rounds.strata.p50_ms | f) ms   p99 \(.hits_vs_nginx.median_of_rounds.strata.p99_ms | f) ms",
  "      strata/nginx  throughput \(.hits_vs_nginx.ratio_strata_over_nginx.requests_per_s | f)x [target >= \(if .settings.hit_status == "HIT-NEAR" then "0.8" else "0.5" end)]   p50 \(.hits_vs_nginx.ratio_strata_over_nginx.p50 | f)x   p99 \(.hits_vs_nginx.ratio_strata_over_nginx.p99 | f)x [target <= 2]",
  "      strata non-2xx \(.hits_vs_nginx.errors.strata.non_2xx), socket errors \(.hits_vs_nginx.errors.strata.socket_errors); answered as \(.settings.hit_status): \(.hits_vs_nginx.strata_share_answered_as_hit_status | if . == null then "n/a" else (. * 100 | tostring) + " %" end)",
  "      Strata answers during the rounds: \(.hits_vs_nginx.strata_requests_by_status_during_rounds | tostring)",
  (if .misses_vs_direct == null then "(b) misses: skipped (SKIP_MISSES=1)" else
  "(b) misses, \(.settings.miss_upstream_latency_ms) ms upstream, concurrency \(.settings.miss_concurrency), median of \(.settings.miss_rounds_per_side) rounds:",
  "      direct  \(.misses_vs_direct.median_of_rounds.direct.requests_per_s | f) req/s   p50 \(.misses_vs_direct.median_of_rounds.direct.p50_ms | f) ms   p99 \(.misses_vs_direct.median_of_rounds.direct.p99_ms | f) ms",
  "      strata  \(.misses_vs_direct.median_of_rounds.strata.requests_per_s | f) req/s   p50 \(.misses_vs_direct.median_of_rounds.strata.p50_ms | f) ms   p99 \(.misses_vs_direct.median_of_rounds.strata.p99_ms | f) ms",
  "      strata/direct  throughput \(.misses_vs_direct.ratio_strata_over_direct.requests_per_s | f)x [target >= 0.95]   added p50 \(.misses_vs_direct.added_ms.p50 | f) ms [target < 1]   added p99 \(.misses_vs_direct.added_ms.p99 | f) ms",
  "      through Strata: \(.misses_vs_direct.requests.strata) requests, failed \(.misses_vs_direct.failed.strata), non-200 \(.misses_vs_direct.non_200.strata) [target 0]; statuses \(.misses_vs_direct.http_status.strata | tostring), X-Cache-Status \(.misses_vs_direct.strata_cache_status | tostring)\(if (.misses_vs_direct.errors.strata | length) > 0 then ", errors " + (.misses_vs_direct.errors.strata | tostring) else "" end)",
  "      directly: failed \(.misses_vs_direct.failed.direct), non-200 \(.misses_vs_direct.non_200.direct)"
  end),
  "Strata RSS at the end: \(.strata_rss_mb_at_end | f) MB, peak (VmHWM) \(.strata.rss_peak_mb | f) MB",
  (if (.strata_log_warnings | length) > 0 then "Strata log warnings/errors (count, line):", (.strata_log_warnings[] | "      " + .) else empty end),
  ""' "$OUT"
log "results: $OUT"
