-- The semantic layer: one row per exact entry that may answer a request differing only in the
-- final user message's text. Rows go with their entry (admin delete, invalidation, expiry clean-up
-- all delete the entry row, and the cascade takes this one). context_key is the hash of everything
-- but that text; the vector (float32, little endian) and the text itself (for the guards) are
-- compared in Strata over the rows of one context key, so no extension is needed.
CREATE TABLE IF NOT EXISTS strata_semantic_entries (
    cache_key   text        PRIMARY KEY REFERENCES strata_cache_entries (cache_key) ON DELETE CASCADE,
    context_key text        NOT NULL,
    final_text  text        NOT NULL,
    vector      bytea       NOT NULL,
    session_id  text,
    user_id     text,
    created_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS strata_semantic_entries_context ON strata_semantic_entries (context_key, created_at DESC);
CREATE INDEX IF NOT EXISTS strata_semantic_entries_user ON strata_semantic_entries (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS strata_semantic_entries_session ON strata_semantic_entries (session_id) WHERE session_id IS NOT NULL;
-- A history record of a semantic hit names how close the question was and which entry answered.
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS similarity real;
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS served_key text;
