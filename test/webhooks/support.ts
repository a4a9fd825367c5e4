// Shared setup of the webhook management tests: an app, a Scale agency with an all-scopes API
// key, a small request helper, and direct writes for queue states.
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, testConfig, type TestApp, type TestAppOptions } from '../support/app.ts';
import { createAgency, simulate, type TestAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
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
  return callerFor(t, agency, (await createApiKey(t.app, agency.id, { scopes })).key);
}

export async function createSubscription(caller: Caller, body: Record<string, unknown>): Promise<{ id: string; secret: string } & Record<string, unknown>> {
  const response = await caller.call('POST', '/webhooks', { events: ['*'], ...body });
  if (response.statusCode !== 201) throw new Error(`create subscription: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Make a domain event happen and return its outbox row. */
export async function raiseEvent(t: TestApp, agencyId: string, type: string) {
  const { event_id: eventId } = await simulate(t.app, agencyId, type);
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
