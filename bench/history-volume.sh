#!/usr/bin/env bash
# History volume: bytes per record stored inline against by reference
# (strata.history.response-storage), for a workload of ANSWERS distinct answers each served once by
# the provider and HITS more times from the cache (a hit's record carries the same request and
# response bytes as its miss's). Runs Strata's own migrations on a scratch database of the local
# Postgres and inserts the rows the writer would insert, then sums pg_total_relation_size of every
# history partition, the session spans and the content table (indexes and TOAST included).
#
#   bash bench/history-volume.sh                 # 20,000 answers, 1 miss : 9 hits (200,000 records)
#   HITS="0 1 9" bash bench/history-volume.sh    # several mixes
set -euo pipefail
cd "$(dirname "$0")/.."
PG="${PG:-psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q}"
ANSWERS="${ANSWERS:-20000}"
HITS="${HITS:-9}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 bench/history-volume/answers.py "$ANSWERS" >"$WORK/answers.csv"

migrate() {
    $PG -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" postgres
    for script in $(ls src/main/resources/db/*.sql | sort -t V -k2 -n); do
        $PG -d "$1" -f "$script" >/dev/null
    done
    $PG -d "$1" <<SQL
DO \$\$ DECLARE m date := date '2026-01-01'; BEGIN
  WHILE m < date '2027-01-01' LOOP
    EXECUTE format('CREATE TABLE strata_history_p%s PARTITION OF strata_history FOR VALUES FROM (%L) TO (%L)',
      to_char(m, 'YYYYMM'), m::timestamptz, (m + interval '1 month')::timestamptz);
    m := m + interval '1 month';
  END LOOP; END \$\$;
CREATE TABLE answers (n int, request text, response text);
\copy answers FROM '$WORK/answers.csv' CSV
SQL
}

# load DB HITS MODE: one miss and HITS hits per answer (in the answer's scope, one of 10), in sessions of about
# 20 records, over the year
load() {
    local digest="NULL::bytea" inline="convert_to(a.response, 'UTF8')"
    if [ "$3" = reference ]; then digest="sha256(convert_to(a.response, 'UTF8'))"; inline="NULL::bytea"; fi
    $PG -d "$1" <<SQL
INSERT INTO strata_history (id, ts, scope, session_id, user_id, endpoint, model_requested, model_version, request_body,
    response_body, response_digest, cache_hit, cache_level, cache_status, latency_ms, prompt_tokens, completion_tokens, status)
SELECT gen_random_uuid(), timestamptz '2026-01-01 00:00:00+00' + (abs(hashint8(a.n * 100 + k)) % 31000000) * interval '1 second',
    'scope-' || (a.n % 10), 's-' || (abs(hashint8(a.n * 100 + k)) % greatest(1, ($ANSWERS * ($2 + 1)) / 200)),
    'u-' || (abs(hashint8(a.n * 7 + k)) % 2000),
    'chat.completions', 'gpt-4o', 'gpt-4o-2024-08-06', convert_to(a.request, 'UTF8'), $inline, $digest,
    k > 0, CASE WHEN k > 0 THEN 'L1' ELSE 'none' END, CASE WHEN k > 0 THEN 'HIT-L1' ELSE 'MISS' END, 5, 40, 300, 200
FROM answers a CROSS JOIN generate_series(0, $2) k;
INSERT INTO strata_history_sessions (scope, session_id, first_ts, last_ts)
SELECT scope, session_id, min(ts), max(ts) FROM strata_history GROUP BY 1, 2;
INSERT INTO strata_history_content (scope, digest, body)
SELECT DISTINCT ON (1, 2) 'scope-' || (a.n % 10), sha256(convert_to(a.response, 'UTF8')), convert_to(a.response, 'UTF8')
FROM answers a WHERE '$3' = 'reference';
VACUUM ANALYZE;
SQL
    $PG -d "$1" -At -F ' ' <<'SQL'
SELECT count(*),
    (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'strata_history'::regclass),
    pg_total_relation_size('strata_history_sessions'), pg_total_relation_size('strata_history_content')
FROM strata_history;
SQL
}

echo "| hits per miss | storage | records | history (bytes/record) | spans | content | total bytes/record |"
echo "|---|---|---|---|---|---|---|"
for hits in $HITS; do
    for mode in inline reference; do
        db="strata_volume_${mode}"
        migrate "$db" >/dev/null
        read -r rows history spans content < <(load "$db" "$hits" "$mode" | tail -1)
        awk -v h="$hits" -v m="$mode" -v r="$rows" -v hi="$history" -v s="$spans" -v c="$content" 'BEGIN {
            printf "| %d | %s | %d | %.0f | %.0f | %.0f | **%.0f** |\n", h, m, r, hi / r, s / r, c / r, (hi + s + c) / r }'
        $PG -c "DROP DATABASE $db" postgres
    done
done
