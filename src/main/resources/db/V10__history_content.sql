-- Response bodies stored once per scope and content (strata.history.response-storage=reference):
-- a record then holds the SHA-256 of its response instead of the bytes, so the hits of one cached
-- answer do not copy it again. Rows go when no record references them any more: erasure removes
-- them with the records, the retention sweep after a partition drop the ones it left behind; both
-- find the remaining references through the digest index.
CREATE TABLE IF NOT EXISTS strata_history_content (
    scope  text  NOT NULL,
    digest bytea NOT NULL,
    body   bytea NOT NULL,
    PRIMARY KEY (scope, digest)
);
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS response_digest bytea;
CREATE INDEX IF NOT EXISTS strata_history_response_digest ON strata_history (response_digest) WHERE response_digest IS NOT NULL;
