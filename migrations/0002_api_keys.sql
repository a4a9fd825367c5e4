-- API keys for the public API, and the audit log of what agency admins (or operators) did with them.

-- Only the SHA-256 of a key is stored: keys carry ~190 random bits, so a fast hash is enough and
-- doubles as the lookup key. display_prefix/display_suffix are what the portal shows.
CREATE TABLE api_keys (
  id              text PRIMARY KEY,
  agency_id       text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  key_hash        text NOT NULL,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  scopes          jsonb NOT NULL,
  -- Custom hourly limit (enterprise only); null = the agency's limit.
  rate_limit      integer CHECK (rate_limit > 0),
  display_prefix  text NOT NULL,
  display_suffix  text NOT NULL,
  -- The portal user who generated it; null when an operator did.
  created_by      text REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz,
  revoked_at      timestamptz,
  -- Set on rotation: the key that replaces this one (this one keeps working until expires_at).
  replaced_by     text REFERENCES api_keys (id) ON DELETE SET NULL,
  last_used_at    timestamptz
);
CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_agency_idx ON api_keys (agency_id, id DESC);

CREATE TABLE audit_log (
  id              text PRIMARY KEY,
  agency_id       text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  actor_user_id   text REFERENCES users (id) ON DELETE SET NULL,
  action          text NOT NULL,
  key_id          text REFERENCES api_keys (id) ON DELETE SET NULL,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_agency_idx ON audit_log (agency_id, id DESC);
