-- Bodies kept as the bytes that were received and answered (bytea): recording them costs no
-- parsing on either side, and no body can be refused by Postgres. Rows written before keep their
-- JSON in the jsonb columns, which are still read.
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS request_body bytea;
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS parameters_body bytea;
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS sent_messages bytea;
ALTER TABLE strata_history ADD COLUMN IF NOT EXISTS response_body bytea;
