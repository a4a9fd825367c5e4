-- The audit log grows from API keys to every security-relevant change an agency can make: who
-- did it (a portal user, an API key, or a FARO operator), in which request, to what, and when.
-- Actor and target ids carry no foreign keys: an audit entry outlives the user, key or
-- subscription it names.

ALTER TABLE audit_log ADD COLUMN actor_type text;
ALTER TABLE audit_log ADD COLUMN actor_id text;
-- The Request-Id of the request that made the change; null only for entries older than it.
ALTER TABLE audit_log ADD COLUMN request_id text;
ALTER TABLE audit_log ADD COLUMN target_type text;
ALTER TABLE audit_log ADD COLUMN target_id text;

-- Existing entries are all about API keys; `via` in details said who acted (portal or operator),
-- which actor_type now says. No code deletes a key except with its agency (and its audit rows),
-- so key_id is never null here.
UPDATE audit_log SET
  actor_type = CASE WHEN details->>'via' = 'operator' THEN 'operator' ELSE 'user' END,
  actor_id = CASE WHEN details->>'via' = 'operator' THEN NULL ELSE actor_user_id END,
  target_type = 'api_key',
  target_id = key_id,
  details = details - 'via';

ALTER TABLE audit_log DROP COLUMN actor_user_id;
ALTER TABLE audit_log DROP COLUMN key_id;
ALTER TABLE audit_log ALTER COLUMN actor_type SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN target_type SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN target_id SET NOT NULL;

-- Operators act through the shared admin token: they have no id to record.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_check CHECK (
  actor_type IN ('user', 'api_key', 'operator') AND (actor_type <> 'operator' OR actor_id IS NULL)
);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_target_check CHECK (
  target_type IN ('api_key', 'webhook_subscription', 'webhook_delivery')
);
-- The closed set of actions (src/domains/audit/schemas.ts); a new action adds itself here.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'api_key.created', 'api_key.rotated', 'api_key.revoked',
  'webhook.created', 'webhook.updated', 'webhook.deleted',
  'webhook.secret_revealed', 'webhook.secret_rotated', 'webhook.recovered',
  'webhook_delivery.redelivered'
));

-- Newest first per agency is audit_log_agency_idx (agency_id, id DESC); these serve the filters.
CREATE INDEX audit_log_agency_action_idx ON audit_log (agency_id, action, id DESC);
CREATE INDEX audit_log_agency_created_idx ON audit_log (agency_id, created_at DESC);
