-- Outbound webhooks. Glossary:
--   subscription  an agency's URL + the event types it wants, with its signing secret
--   delivery      one event bound for one subscription; this table IS the delivery queue
--   attempt       one HTTP POST of a delivery; a delivery has one or more attempts
--   lease         locked_until/locked_by: a worker owns a delivery while it sends it; a worker
--                 that dies leaves a lease that expires, and another worker retries

CREATE TABLE webhook_subscriptions (
  id                        text PRIMARY KEY,
  agency_id                 text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  url                       text NOT NULL,
  events                    jsonb NOT NULL,
  description               text NOT NULL DEFAULT '',
  -- AES-256-GCM sealed "whsec_…" values (see secret-box.ts); never stored in the clear.
  secret_sealed             text NOT NULL,
  previous_secret_sealed    text,
  previous_secret_expires_at timestamptz,
  enabled                   boolean NOT NULL DEFAULT true,
  disabled_reason           text,
  disabled_at               timestamptz,
  -- Start of the current run of failures; cleared by any success. Drives auto-disable.
  failing_since             timestamptz,
  deleted_at                timestamptz,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_agency_idx ON webhook_subscriptions (agency_id, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  id                text PRIMARY KEY,
  agency_id         text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  subscription_id   text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  -- NULL for test sends, whose payload is not an outbox event.
  event_id          text REFERENCES events (id) ON DELETE CASCADE,
  event_type        text NOT NULL,
  -- The exact JSON body sent on every attempt (so retries are byte-identical).
  payload           text NOT NULL,
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed', 'cancelled')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz,
  locked_until      timestamptz,
  locked_by         text,
  last_status_code  integer,
  last_error        text,
  delivered_at      timestamptz,
  is_test           boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- One delivery per (event, subscription): fan-out can run twice without duplicating.
CREATE UNIQUE INDEX webhook_deliveries_event_subscription_key ON webhook_deliveries (event_id, subscription_id) WHERE event_id IS NOT NULL;
-- The queue: due work, in due order.
-- (Only 'pending': the claim must walk queue_idx per subscription, and this one cannot serve it.)
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The claim walks subscriptions with queued work, then each one's due rows in due order; the
-- second index counts a subscription's in-flight (leased) deliveries for the fairness cap.
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (subscription_id, next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (subscription_id) WHERE status = 'delivering';
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id DESC);
-- A subscription's last 24 hours (the health stats of GET /webhooks), and recover's time range.
CREATE INDEX webhook_deliveries_subscription_created_idx ON webhook_deliveries (subscription_id, created_at);
CREATE INDEX webhook_deliveries_agency_idx ON webhook_deliveries (agency_id, id DESC);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- A queue table churns: each delivery is rewritten twice within seconds (claim, result). Vacuum
-- it early so the claim's index walks do not wade through dead entries of delivered rows.
ALTER TABLE webhook_deliveries SET (
  autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02
);

CREATE TABLE webhook_delivery_attempts (
  id                     text PRIMARY KEY,
  delivery_id            text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  agency_id              text NOT NULL,
  attempt_number         integer NOT NULL,
  started_at             timestamptz NOT NULL,
  duration_ms            integer NOT NULL,
  -- Headers as sent, without secrets (the signature is a MAC, not a secret, and is kept).
  request_headers        jsonb NOT NULL,
  response_status        integer,
  response_headers       jsonb,
  response_body_excerpt  text,
  error_kind             text CHECK (error_kind IN ('timeout', 'connection', 'dns', 'tls', 'ssrf_blocked', 'http_status')),
  error_message          text,
  UNIQUE (delivery_id, attempt_number)
);
CREATE INDEX webhook_delivery_attempts_started_idx ON webhook_delivery_attempts (started_at);
