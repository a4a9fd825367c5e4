import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpProcesses, type ServiceProcess } from '../core/service-process.ts';
import { createTestDatabase } from '../support/database.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import type { Database } from '../../src/db/database.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { adminHeaders, call, type Reply, createEnterpriseKey, isAlive, startOnPostgres, until } from './support.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;

/*
 * A failover as the service sees it: every connection to its database is cut by the server, over
 * and over, while requests, event writes, transactions, LISTEN and the worker's claims are under
 * way. The processes must stay up, answer 503 database_unavailable meanwhile (never 500), and
 * deliver every event that was committed.
 */
describe.runIf(databaseUrl)('Postgres connections cut under load', () => {
  let database: Database & { url?: string };
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let receiver: WebhookReceiver;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startWebhookReceiver({ answer: () => ({ status: 204 }) });
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    api = await startOnPostgres({ databaseUrl: database.url!, role: 'api' });
    worker = await startOnPostgres({ databaseUrl: database.url!, role: 'worker', env: { FARO_WEBHOOK_POLL_INTERVAL_MS: '500' } });
  }, 120_000);

  afterAll(async () => {
    await cleanUpProcesses();
    await admin?.end();
    await receiver?.close();
    await database?.close();
  });

  async function terminateEveryBackend(): Promise<number> {
    const result = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [new URL(database.url!).pathname.slice(1)],
    );
    return result.rowCount ?? 0;
  }

  it('stays up, answers 503 database_unavailable while cut off, recovers, and delivers every committed event', async () => {
    const { agencyId, key } = await createEnterpriseKey(api.url, SCOPES);
    const auth = { authorization: `Bearer ${key}` };
    const subscription = await call(`${api.url}/api/v1/webhooks`, { method: 'POST', headers: auth, body: { url: `${receiver.url}/hook`, events: ['*'] } });
    expect(subscription.status).toBe(201);

    const statuses = new Map<number, number>();
    const unavailable: { code: unknown; retryAfter: unknown }[] = [];
    const unexpected: string[] = [];
    let stop = false;
    async function client(request: () => Promise<Reply>): Promise<void> {
      while (!stop) {
        const reply = await request().catch((error: unknown): Reply => ({ status: -1, headers: {}, body: { error: String(error) } }));
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 503) unavailable.push({ code: reply.body.code, retryAfter: reply.headers['retry-after'] });
        else if (![200, 201].includes(reply.status)) unexpected.push(`${reply.status} ${JSON.stringify(reply.body)}`);
      }
    }
    const events = [
      'review.created', 'lead.converted', 'message.received', 'conversation.created', 'sync.failed',
    ] as const;
    const load = [
      ...Array.from({ length: 4 }, () => client(() => call(`${api.url}/api/v1/locations?limit=5`, { headers: auth }))),
      ...Array.from({ length: 2 }, () => client(() => call(`${api.url}/api/v1/reviews?limit=5`, { headers: auth }))),
      ...events.map((event) =>
        client(() => call(`${api.url}/admin/v1/agencies/${agencyId}/simulate`, { method: 'POST', headers: adminHeaders, body: { event } })),
      ),
    ];

    let terminated = 0;
    for (let round = 0; round < 6; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      terminated += await terminateEveryBackend();
    }
    const answers = () => call(`${api.url}/api/v1/locations?limit=1`, { headers: auth }).then((reply) => reply.status === 200, () => false);
    const recoveryMs = await until(answers, `the API to answer again (alive: ${isAlive(api)})`, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await Promise.all(load);

    expect(isAlive(api), api.stderr()).toBe(true);
    expect(isAlive(worker), worker.stderr()).toBe(true);
    expect(terminated).toBeGreaterThan(6);
    expect(unexpected).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(unavailable.every((each) => each.code === 'database_unavailable' && each.retryAfter === '1')).toBe(true);
    expect(recoveryMs).toBeLessThan(10_000);

    // Every event that made it into the outbox reaches the endpoint, whatever was cut meanwhile.
    const probe = new pg.Client({ connectionString: database.url });
    await probe.connect();
    const rows = await probe.query<{ id: string }>('SELECT id FROM events WHERE agency_id = $1', [agencyId]);
    await probe.end();
    expect(rows.rows.length).toBeGreaterThan(0);
    const delivered = () => new Set(receiver.requests.map((request) => request.headers['webhook-id']));
    await until(() => rows.rows.every((row) => delivered().has(row.id)), 'every committed event to be delivered', 60_000);
    process.stdout.write(
      `postgres cut ${terminated} backends in 6 rounds; replies: ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `API answered again ${recoveryMs} ms after the last cut; ${rows.rows.length} committed events all delivered\n`,
    );
  }, 180_000);
});
