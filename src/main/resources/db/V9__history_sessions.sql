-- Each session's span: the first and last timestamps of its records, per scope. The writer upserts
-- it in the statement that inserts a batch (once per distinct session of the batch); a session read
-- bounds ts by it, so only the monthly partitions the session spans are searched. Erasure shrinks or
-- removes it with the records; retention removes the spans that ended before what it kept.
CREATE TABLE IF NOT EXISTS strata_history_sessions (
    scope      text        NOT NULL,
    session_id text        NOT NULL,
    first_ts   timestamptz NOT NULL,
    last_ts    timestamptz NOT NULL,
    PRIMARY KEY (scope, session_id)
);
CREATE INDEX IF NOT EXISTS strata_history_sessions_id ON strata_history_sessions (session_id);
-- The sessions that exist already (one pass over the table, once).
INSERT INTO strata_history_sessions (scope, session_id, first_ts, last_ts)
SELECT scope, session_id, min(ts), max(ts) FROM strata_history WHERE session_id IS NOT NULL GROUP BY scope, session_id
ON CONFLICT (scope, session_id) DO UPDATE SET first_ts = least(strata_history_sessions.first_ts, EXCLUDED.first_ts),
    last_ts = greatest(strata_history_sessions.last_ts, EXCLUDED.last_ts);
