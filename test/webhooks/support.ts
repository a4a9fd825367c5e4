// Shared setup of the webhook management tests: an app, a Scale agency with an all-scopes API
// key, a small request helper, a real node:http receiver, and direct writes for queue states.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, testConfig, type TestApp, type TestAppOptions } from '../support/app.ts';
import { adminHeaders, createAgency, type TestAgency } from '../support/fixtures.ts';
import type { Tier } from '../../src/db/types.ts';
import { newId } from '../../src/lib/ids.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { SCOPES, type Scope } from '../../src/domains/api/auth-context.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Caller {
  agency: TestAgency;
  key: string;
  call(method: Method, url: string, payload?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A fresh app whose webhook URL guard blocks private targets (the production setting). */
export function strictUrlOptions(): TestAppOptions {
  return { config: { webhooks: { ...testConfig().webhooks, allowPrivate: false } } };
}

export async function createKey(t: TestApp, agencyId: string, scopes: readonly Scope[] = SCOPES): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: `/admin/v1/agencies/${agencyId}/api-keys`,
    headers: adminHeaders,
    payload: { name: 'webhook tests', scopes },
  });
  if (response.statusCode !== 201) throw new Error(`api key: ${response.statusCode} ${response.body}`);
  return response.json<{ key: string }>().key;
}

export function callerFor(t: TestApp, agency: TestAgency, key: string): Caller {
  return {
    agency,
    key,
    call(method, url, payload, headers = {}) {
      const base = { authorization: `Bearer ${key}`, ...headers };
      const target = `/api/v1${url}`;
      if (payload === undefined) return t.app.inject({ method, url: target, headers: base });
      // A string is sent as is (malformed JSON tests); anything else is serialised.
      if (typeof payload === 'string') return t.app.inject({ method, url: target, headers: { 'content-type': 'application/json', ...base }, payload });
      return t.app.inject({ method, url: target, headers: base, payload: payload as object });
    },
  };
}

/** A new agency (Scale by default) and a caller holding a key with every scope. */
export async function newCaller(t: TestApp, tier: Tier = 'scale', scopes: readonly Scope[] = SCOPES): Promise<Caller> {
  const agency = await createAgency(t.app, { tier });
  return callerFor(t, agency, await createKey(t, agency.id, scopes));
}

export async function createSubscription(caller: Caller, body: Record<string, unknown>): Promise<{ id: string; secret: string } & Record<string, unknown>> {
  const response = await caller.call('POST', '/webhooks', { events: ['*'], ...body });
  if (response.statusCode !== 201) throw new Error(`create subscription: ${response.statusCode} ${response.body}`);
  return response.json();
}

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface TestReceiver {
  url: string;
  requests: Received[];
  /** What to answer next: a status and body (default 200 "ok"). */
  answer(status: number, body?: string): void;
  close(): Promise<void>;
}

/** A real receiver on 127.0.0.1 that records every request. */
export async function startReceiver(): Promise<TestReceiver> {
  const requests: Received[] = [];
  let status = 200;
  let text = 'ok';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      requests.push({ path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(nextStatus, nextBody = nextStatus < 300 ? 'ok' : `error ${nextStatus}`) {
      status = nextStatus;
      text = nextBody;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Make a domain event happen and return its outbox row. */
export async function raiseEvent(t: TestApp, agencyId: string, type: string) {
  const response = await t.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agencyId}/simulate`, headers: adminHeaders, payload: { event: type } });
  if (response.statusCode !== 201) throw new Error(`simulate: ${response.statusCode} ${response.body}`);
  const eventId = response.json<{ event_id: string }>().event_id;
  return t.ctx.db.selectFrom('events').selectAll().where('id', '=', eventId).executeTakeFirstOrThrow();
}

/**
 * Put a delivery of a real event in the queue in a given state, as the dispatcher and worker
 * would have left it (the tests of the management API do not depend on their timing).
 */
export async function insertDelivery(
  t: TestApp,
  options: { agencyId: string; subscriptionId: string; type?: string; status?: 'pending' | 'delivering' | 'succeeded' | 'failed' | 'cancelled'; createdAt?: Date; attempts?: number; isTest?: boolean },
): Promise<{ id: string; eventId: string }> {
  const event = await raiseEvent(t, options.agencyId, options.type ?? 'review.created');
  const createdAt = options.createdAt ?? new Date();
  const id = newId('whdel', createdAt);
  const status = options.status ?? 'pending';
  await t.ctx.db
    .insertInto('webhook_deliveries')
    .values({
      id,
      agency_id: options.agencyId,
      subscription_id: options.subscriptionId,
      event_id: event.id,
      event_type: event.type,
      payload: buildEventPayload(event),
      status,
      attempts: options.attempts ?? (status === 'pending' ? 0 : 1),
      next_attempt_at: status === 'pending' ? new Date(createdAt.getTime() + 3600_000) : null,
      last_status_code: status === 'failed' ? 500 : status === 'succeeded' ? 200 : null,
      delivered_at: status === 'succeeded' ? createdAt : null,
      is_test: options.isTest ?? false,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .execute();
  return { id, eventId: event.id };
}

export function deliveryRow(t: TestApp, id: string) {
  return t.ctx.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export function subscriptionRow(t: TestApp, id: string) {
  return t.ctx.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export { createTestApp };
