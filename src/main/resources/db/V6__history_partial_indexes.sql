-- Session and user indexes hold only the rows that have a session or a user: a record without
-- them (most hits of applications that send neither) costs no index insert. Lookups by session
-- or user (session_id = $1) can use a partial index, since the equality implies NOT NULL.
CREATE INDEX IF NOT EXISTS strata_history_session_ts_present ON strata_history (session_id, ts, id) WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS strata_history_user_ts_present ON strata_history (user_id, ts, id) WHERE user_id IS NOT NULL;
DROP INDEX IF EXISTS strata_history_session_ts;
DROP INDEX IF EXISTS strata_history_user_ts;
