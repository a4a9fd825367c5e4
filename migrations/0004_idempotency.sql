-- Idempotency-Key records for state-changing public requests (POST /api/v1/leads).
-- A request claims (agency_id, key) before it runs; its response is stored in the same
-- transaction as the change it made, so a retry either replays it or runs anew, never twice.
--   fingerprint   SHA-256 of method, path and canonical JSON body: same key + other body → 422
--   state         in_progress while the first request runs (a concurrent retry gets 409)
--   locked_until  lease on an in_progress claim; a claim left by a crashed process can be
--                 taken over by a retry after it passes
--   expires_at    created_at + 24 h; an expired record is ignored and pruned
CREATE TABLE idempotency_keys (
  agency_id        text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint      text NOT NULL,
  state            text NOT NULL CHECK (state IN ('in_progress', 'completed')),
  claim_token      text NOT NULL,
  locked_until     timestamptz NOT NULL,
  response_status  integer,
  response_body    jsonb,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (agency_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
