-- Health alerts: FARO watching an agency's integration for it (an endpoint disabled or failing,
-- an API key about to expire or near its quota). Each occurrence is one row, raised once and
-- resolved when its condition clears; raising one appends its operational event (faro.*) to the
-- outbox in the same transaction, so it is delivered like any other event.
CREATE TABLE operational_alerts (
  id           text PRIMARY KEY,
  agency_id    text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('endpoint_disabled', 'endpoint_failing', 'api_key_expiring', 'rate_limit_approaching')),
  -- The subscription (whsub_) or API key (key_) the alert is about.
  subject_id   text NOT NULL,
  -- What the portal banner and the event said when it was raised (url, reason, expiry, quota…).
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  event_id     text,
  raised_at    timestamptz NOT NULL,
  resolved_at  timestamptz
);
-- Once per occurrence: at most one open alert per subject and kind, whichever instance raises it
-- (the losing insert does nothing). Also what the banner and the periodic check read.
CREATE UNIQUE INDEX operational_alerts_open_key ON operational_alerts (agency_id, kind, subject_id) WHERE resolved_at IS NULL;
-- The open alerts of a kind, for the periodic check that resolves those whose condition cleared.
CREATE INDEX operational_alerts_open_kind_idx ON operational_alerts (kind) WHERE resolved_at IS NULL;
-- "Raised within the last window?" for the quota alert (at most once per key per window), and retention.
CREATE INDEX operational_alerts_subject_idx ON operational_alerts (subject_id, kind, raised_at);

-- The periodic check's expiring keys: few rows (only keys with an end of life), read by time.
CREATE INDEX api_keys_expiring_idx ON api_keys (expires_at) WHERE revoked_at IS NULL AND replaced_by IS NULL AND expires_at IS NOT NULL;
