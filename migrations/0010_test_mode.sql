-- Test mode. An agency's sandbox is an agency row of its own that points at its live agency:
-- every table is scoped by agency_id, so test keys, data, subscriptions, deliveries, events and
-- audit entries are apart from live ones by construction. UNIQUE: one sandbox per agency (two
-- instances creating it at once: one insert wins). The sandbox goes with its live agency.
ALTER TABLE agencies ADD COLUMN live_agency_id text UNIQUE REFERENCES agencies (id) ON DELETE CASCADE;

-- Every event says which mode it belongs to (`livemode` in its envelope), fixed when it is raised.
ALTER TABLE events ADD COLUMN livemode boolean NOT NULL DEFAULT true;
