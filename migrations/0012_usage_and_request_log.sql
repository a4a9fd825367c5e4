-- Usage history and the request log of the public API (src/domains/usage). Both are written in
-- batches by every API instance (src/domains/usage/recorder.ts) and pruned by the retention job.
-- Neither references agencies or api_keys: a foreign key check on every written row cost as much
-- as the insert itself (bench:api), a counted row must never make a flush fail, and rows of a
-- deleted agency or key go with retention.

-- Requests per API key per hour by outcome. Each instance adds its counts with one upsert
-- (`succeeded = t.succeeded + excluded.succeeded`…), so any number of instances count into the
-- same row. Kept FARO_USAGE_RETENTION_DAYS (30).
CREATE TABLE api_usage_hourly (
  key_id        text NOT NULL,
  hour          timestamptz NOT NULL,
  agency_id     text NOT NULL,
  -- status < 400, 4xx other than 429, 429, 5xx
  succeeded     bigint NOT NULL DEFAULT 0,
  client_errors bigint NOT NULL DEFAULT 0,
  rate_limited  bigint NOT NULL DEFAULT 0,
  server_errors bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, hour)
);
CREATE INDEX api_usage_hourly_hour_idx ON api_usage_hourly (hour);

-- One row per API request made with a key: never a body, a header or a credential (the path's
-- query goes through the access log's redaction). Kept FARO_REQUEST_LOG_RETENTION_DAYS (7).
-- Ids are time-ordered (`reqlog_…`), so the primary key serves newest-first pages, time bounds
-- and lookups by id within an agency. It is the only B-tree: every index is paid on every
-- request, and the filters (key, status, path) read the agency's newest rows in key order until
-- a page is full. The BRIN index lets retention find old rows cheaply (rows arrive in time order).
CREATE TABLE api_request_log (
  agency_id   text NOT NULL,
  id          text NOT NULL,
  key_id      text NOT NULL,
  method      text NOT NULL,
  path        text NOT NULL,
  status      smallint NOT NULL,
  duration_ms real NOT NULL,
  request_id  text NOT NULL,
  client_ip   text,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (agency_id, id)
);
CREATE INDEX api_request_log_created_brin ON api_request_log USING brin (created_at);
