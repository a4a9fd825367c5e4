-- Every filter of every public list is served by an index, so that a page costs the same with
-- ten thousand rows behind it as with a million (`npm run bench:polling`, docs/benchmarks.md;
-- the plans are checked by test/public-api/filter-plans.test.ts).
--
-- Lists answer newest first by id, `LIMIT page + 1`. A filter that no index bounds leaves
-- Postgres to walk the agency's rows in id order and drop those that do not match: cheap while
-- matches are dense, the whole agency when fewer than a page match (a poll of the last 30
-- minutes, a status nobody has, a source an agency is not on). Before this migration,
-- `/reviews?created_since=<30 min ago>` read a million rows to return 15.
--
-- created_since (messages, reviews, events, audit) and created_before (audit) get no index: ids
-- are time-ordered (src/lib/ids.ts), so the lists also bound `id >= idFloor(since)` (and
-- `id < idFloor(before)`). That range lies on the (agency_id, id) and (agency_id, <filter>, id)
-- indexes the lists walk anyway, in the list's own order: the scan stops after one page, at any
-- table size, combined with any other filter and with the cursor. An (agency_id, created_at)
-- index would hand over the whole window unordered, to be sorted for every page (30 days of
-- events for a default /events call), and cost one more entry per row written.
--
-- updated_since (conversations, leads) has no such proxy: an old row updated a minute ago sits
-- deep in id order. (agency_id, updated_at) hands over the rows updated since, which are then
-- sorted by id: as cheap as the window is small, which is what a poll asks for. (A sync from
-- long ago matches most rows, and the planner walks id order instead.) Cost: every message
-- touches its conversation's updated_at, and an update that changes an indexed column cannot be
-- HOT: it writes an entry in each conversations index.
--
-- Closed sets (status, channel, source, rating, direction, type) get (agency_id, <column>, id
-- DESC): each value its own run in id order, read a page at a time like the unfiltered list.
-- A rare value (one-star reviews, open conversations in a tidy inbox, sync failures) is then as
-- cheap as a common one. Full indexes, not partial ones per value: a prepared statement's
-- generic plan cannot prove a parameter matches a partial index's predicate.
--
-- These plans need the values: each statement is planned with its parameters, as unnamed
-- statements are. A prepared statement's generic plan cannot see that a window is small or an
-- agency big, and for updated_since it walks the agency in id order (docs/benchmarks.md).
--
-- What each index costs a write, in WAL records, is in the same benchmark.
CREATE INDEX conversations_agency_status_idx ON conversations (agency_id, status, id DESC);
CREATE INDEX conversations_agency_channel_idx ON conversations (agency_id, channel, id DESC);
CREATE INDEX conversations_agency_updated_idx ON conversations (agency_id, updated_at);

CREATE INDEX messages_agency_direction_idx ON messages (agency_id, direction, id DESC);

CREATE INDEX reviews_agency_source_idx ON reviews (agency_id, source, id DESC);
CREATE INDEX reviews_agency_rating_idx ON reviews (agency_id, rating, id DESC);

CREATE INDEX leads_agency_status_idx ON leads (agency_id, status, id DESC);
CREATE INDEX leads_agency_updated_idx ON leads (agency_id, updated_at);

-- Events: `type` gets its run in id order. The 30-day window of the list and retention's prune
-- bound the id now, as deliveries' do since 0008, so the index on created_at (across all
-- agencies, and no help to a small agency behind a busy one) goes: one index in, one out.
CREATE INDEX events_agency_type_idx ON events (agency_id, type, id DESC);
DROP INDEX events_created_idx;

-- Audit: created_since / created_before bound the id (above), which audit_log_agency_idx
-- serves in list order; the (agency_id, created_at) index had to hand over everything before
-- `created_before` to be sorted.
DROP INDEX audit_log_agency_created_idx;

-- Deliveries are write-hot: every delivery is inserted, claimed, has its lease renewed and is
-- recorded, and none of those updates is HOT (status and the lease are indexed), so each one
-- writes an entry in every index of the table. One index serves both filters of the delivery
-- log instead of one per filter (WAL records per delivery, queued to delivered: +19 % instead of
-- +36 %). The list always bounds event_type (by the types the caller may read), so:
--   event_type=X          (subscription, X) is a prefix: the rows of X, sorted by id;
--   status=S              event_type IN (readable) AND status = S: one range per type, sorted;
--   both                  a prefix in id order, read a page at a time.
-- A rare value reads only its rows; a common one (status=succeeded, the main event type) is
-- cheaper by walking webhook_deliveries_subscription_idx in id order, and the planner does so.
-- In between, the cost is bounded by about √(26 × the subscription's deliveries) rows.
CREATE INDEX webhook_deliveries_log_filter_idx ON webhook_deliveries (subscription_id, event_type, status, id DESC);
