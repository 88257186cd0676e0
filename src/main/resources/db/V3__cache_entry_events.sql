-- The events of a streamed answer, replayed as they were received on a streamed hit (null when the answer was not streamed).
ALTER TABLE strata_cache_entries ADD COLUMN IF NOT EXISTS events bytea;
