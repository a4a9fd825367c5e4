// Shared setup of the delivery and worker tests: a real node:http receiver whose answers the
// test scripts (including hanging), subscriptions written straight into the table (so these
// tests do not depend on the management API), and the dispatcher and a worker driven by hand.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { createTestApp, type TestApp, type TestAppOptions } from '../support/app.ts';
import { createAgency, type TestAgency } from '../support/fixtures.ts';
import { createManualClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { createSecretBox, generateWebhookSecret } from '../../src/domains/webhooks/secret-box.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import type { Tier } from '../../src/db/types.ts';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) as FastifyBaseLogger;

export interface HookRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type HookAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface HookReceiver {
  url: string;
  requests: HookRequest[];
  /** How to answer each request (default 200 "ok"). */
  answerWith(answer: (request: HookRequest) => HookAnswer): void;
  /** Ends every hanging request with 200. */
  release(): void;
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first request that matches. */
  waitFor(predicate: (request: HookRequest) => boolean, timeoutMs?: number): Promise<HookRequest>;
  close(): Promise<void>;
}

export async function startHookReceiver(): Promise<HookReceiver> {
  const requests: HookRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let answer: (request: HookRequest) => HookAnswer = () => ({ status: 200, body: 'ok' });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const request = { path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
      const reply = answer(request);
      if (reply === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      res.end(reply.body ?? (reply.status < 300 ? 'ok' : `error ${reply.status}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerWith(next) {
      answer = next;
    },
    release() {
      for (const res of hanging) res.writeHead(200).end('late ok');
      hanging.clear();
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching request in ${timeoutMs} ms (${requests.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SubscriptionOptions {
  url: string;
  events?: string[];
  enabled?: boolean;
  deleted?: boolean;
  previousSecret?: { secret: string; expiresAt: Date };
}

/** A subscription row as the management API would write it; answers its id and clear secret. */
export async function addSubscription(t: TestApp, agencyId: string, options: SubscriptionOptions): Promise<{ id: string; secret: string }> {
  const box = createSecretBox(Buffer.from(t.ctx.config.secretKey!, 'base64'));
  const secret = generateWebhookSecret();
  const now = t.ctx.clock.now();
  const id = newId('whsub', now);
  await t.ctx.db
    .insertInto('webhook_subscriptions')
    .values({
      id,
      agency_id: agencyId,
      url: options.url,
      events: JSON.stringify(options.events ?? ['*']),
      secret_sealed: box.seal(secret),
      previous_secret_sealed: options.previousSecret ? box.seal(options.previousSecret.secret) : null,
      previous_secret_expires_at: options.previousSecret?.expiresAt ?? null,
      enabled: options.enabled ?? true,
      deleted_at: options.deleted ? now : null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, secret };
}

export interface DeliverySetup {
  t: TestApp;
  clock: ReturnType<typeof createManualClock>;
  agency: TestAgency;
  dispatcher: ReturnType<typeof createDispatcher>;
  worker: ReturnType<typeof createDeliveryWorker>;
  /** Fan out what is in the outbox, then run one claim of the worker. */
  deliverDue(): Promise<number>;
}

/** An app on a manual clock with no background loops, one agency, a dispatcher and a worker. */
export async function deliverySetup(options: { tier?: Tier; env?: Record<string, string>; appOptions?: TestAppOptions } = {}): Promise<DeliverySetup> {
  const clock = createManualClock(new Date('2026-03-02T09:00:00.000Z'));
  const t = await createTestApp({ clock, worker: false, ...(options.env ? { env: options.env } : {}), ...options.appOptions });
  const agency = await createAgency(t.app, { tier: options.tier ?? 'scale' });
  const deps = { db: t.ctx.db, database: t.database, clock, config: t.ctx.config, logger: silentLogger };
  const dispatcher = createDispatcher(deps);
  const worker = createDeliveryWorker({ ...deps, executor: t.ctx.services.deliveryEngine.executor, workerId: 'test-worker' });
  return {
    t,
    clock,
    agency,
    dispatcher,
    worker,
    async deliverDue() {
      await dispatcher.runOnce();
      return worker.runOnce();
    },
  };
}

export function deliveriesOf(t: TestApp, subscriptionId: string) {
  return t.ctx.db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', subscriptionId).orderBy('id').execute();
}

export function attemptsOf(t: TestApp, deliveryId: string) {
  return t.ctx.db.selectFrom('webhook_delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempt_number').execute();
}

export function subscriptionOf(t: TestApp, id: string) {
  return t.ctx.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
