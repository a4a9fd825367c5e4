-- The endpoint charts (delivery-stats-repository.ts) count a subscription's deliveries per hour
-- of creation by state, and its attempts' durations per hour of start, over up to 7 days. Each is
-- read index-only, from an index that holds what its chart needs and nothing else, instead of
-- every delivery row of the subscription and then its attempts one delivery at a time
-- (bench:stats in docs/benchmarks.md: the queries, and what the indexes cost the engine's writes).

-- Attempts carry their delivery's subscription and test flag, copied when the attempt is
-- recorded and never changed: a subscription's attempts are then one range of an index.
ALTER TABLE webhook_delivery_attempts ADD COLUMN subscription_id text;
ALTER TABLE webhook_delivery_attempts ADD COLUMN is_test boolean;
-- Attempts recorded before: one rewrite of each row still kept (retention bounds how many;
-- docs/deployment.md says what it takes).
UPDATE webhook_delivery_attempts a SET subscription_id = d.subscription_id, is_test = d.is_test
  FROM webhook_deliveries d WHERE d.id = a.delivery_id;
-- No default: the engine says which subscription, and whether a test send, an attempt is of.
ALTER TABLE webhook_delivery_attempts ALTER COLUMN subscription_id SET NOT NULL;
ALTER TABLE webhook_delivery_attempts ALTER COLUMN is_test SET NOT NULL;
-- A node still on the previous release (during a rolling deploy, docs/deployment.md) records
-- attempts without them: they are taken from the delivery. Only such rows run the function; for
-- the engine's own inserts the WHEN is all it costs. A later migration can drop it once no node
-- older than this one can run.
CREATE FUNCTION webhook_delivery_attempts_fill_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT d.subscription_id, d.is_test INTO NEW.subscription_id, NEW.is_test FROM webhook_deliveries d WHERE d.id = NEW.delivery_id;
  RETURN NEW;
END
$$;
CREATE TRIGGER webhook_delivery_attempts_fill_subscription BEFORE INSERT ON webhook_delivery_attempts
  FOR EACH ROW WHEN (NEW.subscription_id IS NULL OR NEW.is_test IS NULL) EXECUTE FUNCTION webhook_delivery_attempts_fill_subscription();
-- Attempts are only inserted and pruned, so vacuum soon marks their pages all-visible and the
-- index-only scan seldom visits the table.
CREATE INDEX webhook_delivery_attempts_stats_idx ON webhook_delivery_attempts (subscription_id, started_at)
  INCLUDE (duration_ms) WHERE NOT is_test;

-- Deliveries in a state a chart counts: succeeded, failed, or waiting for a retry after a failed
-- attempt. Partial, because every update of this queue table writes an entry in each of its
-- indexes (none is HOT: status and the lease are indexed, 0009), and a row version enters this
-- one only once it has an outcome: one entry for a delivery that succeeds at once (its last
-- update) instead of one per version (insert, claim, each lease renewal, result). status in
-- INCLUDE and last_error in the predicate make no update non-HOT that was HOT: status is already
-- a key of webhook_deliveries_log_filter_idx, and last_error only changes with status.
CREATE INDEX webhook_deliveries_stats_idx ON webhook_deliveries (subscription_id, created_at) INCLUDE (status)
  WHERE NOT is_test AND (status IN ('succeeded', 'failed') OR (status IN ('pending', 'delivering') AND last_error IS NOT NULL));
