-- Every proxied exchange, partitioned by month on ts (partitions are created ahead by the
-- PartitionManager; the default partition only catches rows no monthly partition covers).
CREATE TABLE IF NOT EXISTS strata_history (
    id                uuid        NOT NULL,
    ts                timestamptz NOT NULL,
    scope             text        NOT NULL,
    session_id        text,
    user_id           text,
    endpoint          text        NOT NULL,
    model_requested   text,
    model_version     text,
    prompt            jsonb,
    prompt_sent       jsonb,
    response          jsonb,
    parameters        jsonb,
    sealed            bytea,
    key_id            text,
    cache_hit         boolean     NOT NULL,
    cache_level       text        NOT NULL,
    cache_status      text        NOT NULL,
    latency_ms        integer     NOT NULL,
    prompt_tokens     integer,
    completion_tokens integer,
    upstream_status   integer,
    status            integer     NOT NULL,
    PRIMARY KEY (id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE IF NOT EXISTS strata_history_default PARTITION OF strata_history DEFAULT;
CREATE INDEX IF NOT EXISTS strata_history_session_ts ON strata_history (session_id, ts, id);
CREATE INDEX IF NOT EXISTS strata_history_user_ts ON strata_history (user_id, ts, id);
-- One sealed canary per encryption key id: a key configured under an id with the wrong bytes fails the start.
CREATE TABLE IF NOT EXISTS strata_history_keys (
    key_id     text PRIMARY KEY,
    canary     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
