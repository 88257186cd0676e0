-- Invalidation by namespace alone (the (scope, namespace) index cannot serve it) and by age
-- (created_before), each a bounded batch found through its index instead of a table scan.
CREATE INDEX IF NOT EXISTS strata_cache_entries_namespace ON strata_cache_entries (namespace);
CREATE INDEX IF NOT EXISTS strata_cache_entries_created_at ON strata_cache_entries (created_at);
