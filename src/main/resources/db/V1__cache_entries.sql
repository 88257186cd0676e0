CREATE TABLE IF NOT EXISTS strata_cache_entries (
    cache_key     text        PRIMARY KEY,
    scope         text        NOT NULL,
    namespace     text        NOT NULL,
    endpoint      text        NOT NULL,
    model_version text,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    stale_until   timestamptz NOT NULL,
    size_bytes    integer     NOT NULL,
    body          bytea       NOT NULL
);
CREATE INDEX IF NOT EXISTS strata_cache_entries_stale_until ON strata_cache_entries (stale_until);
CREATE INDEX IF NOT EXISTS strata_cache_entries_model_version ON strata_cache_entries (model_version);
CREATE INDEX IF NOT EXISTS strata_cache_entries_scope_namespace ON strata_cache_entries (scope, namespace);
