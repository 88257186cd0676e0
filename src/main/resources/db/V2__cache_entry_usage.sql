-- Usage the provider billed for each stored answer, so hits are accounted without parsing bodies.
ALTER TABLE strata_cache_entries ADD COLUMN IF NOT EXISTS prompt_tokens integer NOT NULL DEFAULT -1;
ALTER TABLE strata_cache_entries ADD COLUMN IF NOT EXISTS completion_tokens integer NOT NULL DEFAULT -1;
