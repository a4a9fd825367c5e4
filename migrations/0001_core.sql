-- Core of FARO that the integration surface stands on: tenancy, portal users, the five
-- resources, sync runs and the transactional outbox of events.
-- Every tenant-owned row carries agency_id and every query filters on it.

CREATE TABLE agencies (
  id              text PRIMARY KEY,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  tier            text NOT NULL CHECK (tier IN ('starter', 'growth', 'scale', 'enterprise')),
  api_rate_limit  integer CHECK (api_rate_limit > 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             text PRIMARY KEY,
  agency_id      text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  email          text NOT NULL,
  name           text NOT NULL DEFAULT '',
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_agency_idx ON users (agency_id);

-- id is the SHA-256 of the cookie value: a leaked table does not yield live sessions.
CREATE TABLE sessions (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  csrf_token    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE locations (
  id            text PRIMARY KEY,
  agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  name          text NOT NULL,
  address_line1 text NOT NULL DEFAULT '',
  city          text NOT NULL DEFAULT '',
  region        text NOT NULL DEFAULT '',
  postal_code   text NOT NULL DEFAULT '',
  country       text NOT NULL DEFAULT 'US',
  phone         text,
  website       text,
  timezone      text NOT NULL DEFAULT 'America/New_York',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_agency_idx ON locations (agency_id, id DESC);

CREATE TABLE conversations (
  id               text PRIMARY KEY,
  agency_id        text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  location_id      text NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  channel          text NOT NULL CHECK (channel IN ('sms', 'webchat', 'google', 'facebook', 'email')),
  contact_name     text NOT NULL,
  contact_phone    text,
  contact_email    text,
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  last_message_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_agency_idx ON conversations (agency_id, id DESC);
CREATE INDEX conversations_location_idx ON conversations (agency_id, location_id, id DESC);

CREATE TABLE messages (
  id               text PRIMARY KEY,
  agency_id        text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  conversation_id  text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  body             text NOT NULL,
  status           text NOT NULL CHECK (status IN ('received', 'queued', 'sent', 'delivered', 'failed')),
  sent_at          timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_agency_idx ON messages (agency_id, id DESC);
CREATE INDEX messages_conversation_idx ON messages (agency_id, conversation_id, id DESC);

CREATE TABLE reviews (
  id            text PRIMARY KEY,
  agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  location_id   text NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  source        text NOT NULL CHECK (source IN ('google', 'facebook', 'yelp')),
  rating        smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  author_name   text NOT NULL,
  body          text NOT NULL DEFAULT '',
  reply         text,
  replied_at    timestamptz,
  published_at  timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_agency_idx ON reviews (agency_id, id DESC);
CREATE INDEX reviews_location_idx ON reviews (agency_id, location_id, id DESC);

CREATE TABLE leads (
  id            text PRIMARY KEY,
  agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  location_id   text NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  name          text NOT NULL,
  email         text,
  phone         text,
  source        text NOT NULL,
  status        text NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
  value         numeric(12, 2),
  notes         text NOT NULL DEFAULT '',
  converted_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_agency_idx ON leads (agency_id, id DESC);
CREATE INDEX leads_location_idx ON leads (agency_id, location_id, id DESC);

CREATE TABLE sync_runs (
  id           text PRIMARY KEY,
  agency_id    text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  location_id  text NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  provider     text NOT NULL CHECK (provider IN ('google', 'facebook', 'yelp')),
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error        text,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_runs_agency_idx ON sync_runs (agency_id, id DESC);

-- The transactional outbox: written in the same transaction as the change it describes.
-- dispatched_at stays NULL until the dispatcher has fanned the event out to subscriptions.
CREATE TABLE events (
  id             text PRIMARY KEY,
  agency_id      text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  type           text NOT NULL,
  data           jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  dispatched_at  timestamptz
);
CREATE INDEX events_agency_idx ON events (agency_id, id DESC);
CREATE INDEX events_undispatched_idx ON events (id) WHERE dispatched_at IS NULL;
CREATE INDEX events_created_idx ON events (created_at);
