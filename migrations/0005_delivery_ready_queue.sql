-- The claim walks the subscriptions that have work to give out. It used to walk every
-- subscription with any queued delivery, retries waiting hours for their time included, so a
-- few thousand failing endpoints made every claim slow (docs/benchmarks.md). Now a retry waits
-- as `scheduled`, outside the walk, until the worker's promoter clears the flag when it is due.
ALTER TABLE webhook_deliveries ADD COLUMN scheduled boolean NOT NULL DEFAULT false;

-- Work that can be given out now, per subscription in due order: what the claim walks.
CREATE INDEX webhook_deliveries_ready_idx ON webhook_deliveries (subscription_id, next_attempt_at)
  WHERE status = 'pending' AND NOT scheduled;
-- Retries waiting for their time, in time order: what the promoter reads.
CREATE INDEX webhook_deliveries_scheduled_idx ON webhook_deliveries (next_attempt_at)
  WHERE status = 'pending' AND scheduled;
-- Replaced by the two above (expired leases are promoted back to pending, not walked).
DROP INDEX webhook_deliveries_queue_idx;

UPDATE webhook_deliveries SET scheduled = true WHERE status = 'pending' AND next_attempt_at > now();
