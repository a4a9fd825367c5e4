import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { App } from '../../src/http/app-type.ts';
import type { AppContext } from '../../src/services.ts';
import { SCOPES, type Scope } from '../../src/domains/api/auth-context.ts';
import { insertConversation } from '../../src/domains/conversations/repository.ts';
import { newId } from '../../src/lib/ids.ts';
import { createAgency, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';

/** What the seed created for one agency, by resource. */
export interface Seeded {
  agency: TestAgency;
  /** Bearer headers of a key holding every scope. */
  headers: Record<string, string>;
  locations: string[];
  conversations: { open: string[]; closed: string; all: string[] };
  messages: { inbound: string[]; outbound: string[]; all: string[] };
  reviews: string[];
  leads: string[];
  /** An instant after the first half of every resource was created and before the second half. */
  midpoint: string;
}

/** Spaced timestamps make `*_since` filters exact; pass a manual clock and this advances it. */
export type Tick = () => void;

/**
 * Two locations, three conversations (one closed), three messages, three reviews and three
 * leads, created through the services exactly as the product would; each row a tick apart.
 */
export async function seedAgency(app: App, tick: Tick): Promise<Seeded> {
  const ctx: AppContext = app.ctx;
  const { services } = ctx;
  const agency = await createAgency(app);
  const id = agency.id;
  const { headers } = await createApiKey(app, id, { scopes: SCOPES });
  const step = async <T>(work: () => Promise<T>): Promise<T> => {
    tick();
    return work();
  };

  const north = await step(() => services.locations.create(id, { name: 'North', city: 'Boston' }));
  const south = await step(() => services.locations.create(id, { name: 'South', city: 'Austin' }));
  const c1 = (await step(() => services.conversations.create(id, { location_id: north.id, channel: 'sms', contact: { name: 'Ana' } }))).conversation;
  const r1 = (await step(() => services.reviews.create(id, { location_id: north.id, source: 'google', rating: 5, author_name: 'Bo', body: 'Great' }))).review;
  const l1 = (await step(() => services.leads.create(id, { location_id: north.id, name: 'Cy' }))).lead;
  const m1 = (await step(() => services.messages.recordInbound(id, c1.id, 'Hello?'))).message;
  const m2 = await step(() => services.messages.recordOutbound(id, c1.id, 'Hi Ana!'));

  tick();
  const midpoint = ctx.clock.now().toISOString();
  tick();

  const c2 = (await step(() => services.conversations.create(id, { location_id: south.id, channel: 'email', contact: { name: 'Di' } }))).conversation;
  const closedAt = ctx.clock.now();
  tick();
  const c3 = await insertConversation(ctx.db, {
    id: newId('conv', closedAt),
    agency_id: id,
    location_id: north.id,
    channel: 'webchat',
    contact_name: 'Ed',
    contact_phone: null,
    contact_email: null,
    status: 'closed',
    last_message_at: null,
    created_at: closedAt,
    updated_at: closedAt,
  });
  const m3 = (await step(() => services.messages.recordInbound(id, c2.id, 'Quote please'))).message;
  const r2 = (await step(() => services.reviews.create(id, { location_id: south.id, source: 'yelp', rating: 2, author_name: 'Fi', body: 'Meh' }))).review;
  const r3 = (await step(() => services.reviews.create(id, { location_id: north.id, source: 'facebook', rating: 4, author_name: 'Gu', body: 'Good' }))).review;
  const l2 = (await step(() => services.leads.create(id, { location_id: south.id, name: 'Hal', status: 'qualified' }))).lead;
  const l3 = (await step(() => services.leads.create(id, { location_id: north.id, name: 'Ida', status: 'converted', value: 1200 }))).lead;

  return {
    agency,
    headers,
    locations: [north.id, south.id],
    conversations: { open: [c1.id, c2.id], closed: c3.id, all: [c1.id, c2.id, c3.id] },
    messages: { inbound: [m1.id, m3.id], outbound: [m2.id], all: [m1.id, m2.id, m3.id] },
    reviews: [r1.id, r2.id, r3.id],
    leads: [l1.id, l2.id, l3.id],
    midpoint,
  };
}

/** One public operation, with how to call it for a given agency's data. */
export interface Endpoint {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  scope: Scope;
  url(seed: Seeded): string;
  /** For lists: the path without query. */
  list?: boolean;
  /** For `:id` operations: the id's prefix and a builder for another id. */
  byId?: { prefix: string; url(id: string): string };
  body?(seed: Seeded): Record<string, unknown>;
  status: number;
}

const byId = (prefix: string, base: string, suffix = '') => ({ prefix, url: (id: string) => `/api/v1/${base}/${id}${suffix}` });

export const ENDPOINTS: Endpoint[] = [
  { name: 'list locations', method: 'GET', scope: 'locations:read', url: () => '/api/v1/locations', list: true, status: 200 },
  { name: 'get location', method: 'GET', scope: 'locations:read', url: (s) => `/api/v1/locations/${s.locations[0]}`, byId: byId('loc', 'locations'), status: 200 },
  { name: 'list conversations', method: 'GET', scope: 'conversations:read', url: () => '/api/v1/conversations', list: true, status: 200 },
  { name: 'get conversation', method: 'GET', scope: 'conversations:read', url: (s) => `/api/v1/conversations/${s.conversations.all[0]}`, byId: byId('conv', 'conversations'), status: 200 },
  {
    name: 'list conversation messages',
    method: 'GET',
    scope: 'messages:read',
    url: (s) => `/api/v1/conversations/${s.conversations.all[0]}/messages`,
    list: true,
    byId: byId('conv', 'conversations', '/messages'),
    status: 200,
  },
  { name: 'list messages', method: 'GET', scope: 'messages:read', url: () => '/api/v1/messages', list: true, status: 200 },
  { name: 'get message', method: 'GET', scope: 'messages:read', url: (s) => `/api/v1/messages/${s.messages.all[0]}`, byId: byId('msg', 'messages'), status: 200 },
  { name: 'list reviews', method: 'GET', scope: 'reviews:read', url: () => '/api/v1/reviews', list: true, status: 200 },
  { name: 'get review', method: 'GET', scope: 'reviews:read', url: (s) => `/api/v1/reviews/${s.reviews[0]}`, byId: byId('rev', 'reviews'), status: 200 },
  { name: 'list leads', method: 'GET', scope: 'leads:read', url: () => '/api/v1/leads', list: true, status: 200 },
  { name: 'get lead', method: 'GET', scope: 'leads:read', url: (s) => `/api/v1/leads/${s.leads[0]}`, byId: byId('lead', 'leads'), status: 200 },
  {
    name: 'create lead',
    method: 'POST',
    scope: 'leads:write',
    url: () => '/api/v1/leads',
    body: (s) => ({ location_id: s.locations[0], name: 'New Lead', email: 'new@lead.test' }),
    status: 201,
  },
  {
    name: 'update lead',
    method: 'PATCH',
    scope: 'leads:write',
    url: (s) => `/api/v1/leads/${s.leads[0]}`,
    byId: byId('lead', 'leads'),
    body: () => ({ notes: 'Called back' }),
    status: 200,
  },
];

/** Call an endpoint as it is meant to be called, with these headers. */
export function call(app: App, endpoint: Endpoint, seed: Seeded, headers: Record<string, string>, overrides: Partial<InjectOptions> = {}) {
  return app.inject({
    method: endpoint.method,
    url: endpoint.url(seed),
    headers,
    ...(endpoint.body ? { payload: endpoint.body(seed) } : {}),
    ...overrides,
  });
}

/** The parts of a problem that do not vary from request to request. */
export function stableProblem(response: LightMyRequestResponse) {
  const { request_id: _requestId, instance: _instance, ...rest } = response.json<Record<string, unknown>>();
  return rest;
}

export const ids = (response: LightMyRequestResponse) => response.json<{ data: { id: string }[] }>().data.map((row) => row.id);
