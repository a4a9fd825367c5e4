-- The event stream reads events in commit order. An event's id is taken from the clock before its
-- transaction commits, so a slow transaction can commit an event whose id sorts before one already
-- streamed. tx_id is the appending transaction's id; a reader takes only rows whose transaction is
-- older than every transaction still running in this database (stream-repository.ts), in (tx_id, id) order, so nothing
-- can appear behind its cursor later.
ALTER TABLE events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_stream_order_idx ON events (tx_id, id);
