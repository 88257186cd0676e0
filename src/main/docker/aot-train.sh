#!/bin/bash
# Training run for the JDK's AOT cache (JEP 483/514/515), run by Dockerfile.jvm while the image is
# built, with the image's own JVM and the same launcher, options and class path as at run time (an
# AOT cache made by another JVM build, or for another class path, is ignored). Starts Strata with
# the built-in mock provider, sends a few hundred requests (misses, repeats, streams, metrics,
# health), stops it with SIGTERM; the JVM writes the cache as it exits. No Redis or Postgres exists
# during an image build: those layers degrade to misses, which is also what a cold pod does first.
set -euo pipefail

CACHE="${1:-/deployments/aot/app.aot}"
REQUESTS="${AOT_TRAINING_REQUESTS:-300}"
PORT="${QUARKUS_HTTP_PORT:-8080}"
MANAGEMENT_PORT="${QUARKUS_MANAGEMENT_PORT:-9000}"

STRATA_UPSTREAM_BASE_URL=mock QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_MANAGEMENT_HOST=127.0.0.1 \
    JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND/-XX:AOTCache=$CACHE/} -XX:AOTCacheOutput=$CACHE" \
    "${AOT_TRAINING_LAUNCHER:-/opt/jboss/container/java/run/run-java.sh}" >/tmp/aot-training.log 2>&1 &
pid=$!

# HTTP/1.1 over bash's /dev/tcp (the runtime image has no curl for sure); prints the status code
request() {
    local method="$1" port="$2" path="$3" body="${4:-}" status
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    read -r _ status _ <&3 || status=000
    cat <&3 >/dev/null || true
    exec 3<&- 3>&-
    echo "$status"
}
chat() { request POST "$PORT" /v1/chat/completions "$1"; }

for _ in $(seq 1 600); do
    [[ "$(chat '{"model":"m","messages":[{"role":"user","content":"ready?"}]}' 2>/dev/null)" == 200 ]] && break
    kill -0 "$pid" 2>/dev/null || { cat /tmp/aot-training.log; exit 1; }
    sleep 0.2
done
for i in $(seq 1 "$REQUESTS"); do
    chat "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"training $((i % 40))\"}]}" >/dev/null
    if ((i % 10 == 0)); then
        chat "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"stream $((i % 20))\"}]}" >/dev/null
        request POST "$PORT" /v1/completions "{\"model\":\"m\",\"prompt\":\"p $((i % 20))\"}" >/dev/null
        request GET "$MANAGEMENT_PORT" /q/metrics >/dev/null
        request GET "$MANAGEMENT_PORT" /q/health/ready >/dev/null
    fi
done
kill -TERM "$pid"
wait "$pid" || true
[[ -s "$CACHE" ]] || { echo "no AOT cache written"; cat /tmp/aot-training.log; exit 1; }
echo "AOT cache: $(du -h "$CACHE" | cut -f1)"
rm -f /tmp/aot-training.log
