-- Short, renewed leases (a worker extends the leases it holds every quarter of their length), and
-- an attempt cut short by a dead worker is recorded when its expired lease is taken back, so
-- the delivery log has no gaps.
ALTER TABLE webhook_delivery_attempts DROP CONSTRAINT webhook_delivery_attempts_error_kind_check;
ALTER TABLE webhook_delivery_attempts ADD CONSTRAINT webhook_delivery_attempts_error_kind_check
  CHECK (error_kind IN ('timeout', 'connection', 'dns', 'tls', 'ssrf_blocked', 'http_status', 'worker_lost'));

-- Leases in expiry order: what the promoter takes back and what the worker's wake-up timer reads.
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (locked_until) WHERE status = 'delivering';
-- A subscription's in-flight count is kept by each worker in memory now, not counted per claim;
-- and nothing reads deliveries by agency alone. Fewer indexes, fewer entries written per change.
DROP INDEX webhook_deliveries_leased_idx;
DROP INDEX webhook_deliveries_agency_idx;
-- "Created since" reads (24-hour health, recover, retention) bound the time-ordered id instead:
-- the primary key and (subscription_id, id) serve them, and two indexes fewer are written.
DROP INDEX webhook_deliveries_subscription_created_idx;
DROP INDEX webhook_deliveries_created_idx;
