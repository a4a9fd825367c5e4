-- Usage history and the request log of the public API (src/domains/usage).
--
-- api_usage_hourly: requests per API key per hour by outcome. Each API instance counts in memory
-- and adds its counts every few seconds with one upsert (`requests = t.requests + excluded.requests`),
-- so any number of instances add into the same row safely. Kept 30 days by the retention job.
-- No foreign key to api_keys: a key is deleted only with its agency, and a counted row must never
-- make a flush fail; the agency reference cascades.
CREATE TABLE api_usage_hourly (
  key_id        text NOT NULL,
  hour          timestamptz NOT NULL,
  agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  -- status < 400 (2xx), 4xx other than 429, 429, 5xx
  succeeded     bigint NOT NULL DEFAULT 0,
  client_errors bigint NOT NULL DEFAULT 0,
  rate_limited  bigint NOT NULL DEFAULT 0,
  server_errors bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (key_id, hour)
);
CREATE INDEX api_usage_hourly_hour_idx ON api_usage_hourly (hour);

-- api_request_log: one row per API request made with a key: never a body, a header or a
-- credential (the path's query goes through the access log's redaction). Written in batches,
-- kept FARO_REQUEST_LOG_RETENTION_DAYS (7 by default). Ids are time-ordered (`reqlog_…`), so
-- newest first and time bounds are ranges of the primary key.
CREATE TABLE api_request_log (
  id          text PRIMARY KEY,
  agency_id   text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  key_id      text NOT NULL,
  method      text NOT NULL,
  path        text NOT NULL,
  status      smallint NOT NULL,
  duration_ms real NOT NULL,
  request_id  text NOT NULL,
  client_ip   text,
  created_at  timestamptz NOT NULL
);
CREATE INDEX api_request_log_agency_idx ON api_request_log (agency_id, id DESC);
CREATE INDEX api_request_log_agency_key_idx ON api_request_log (agency_id, key_id, id DESC);
