import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency, simulate } from '../support/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import type { Database } from '../../src/db/database.ts';
import { createDeliveryWorker } from '../../src/domains/webhooks/delivery/worker.ts';
import { createDispatcher } from '../../src/domains/webhooks/delivery/dispatcher.ts';
import { addSubscription, attemptsOf, deliveriesOf, silentLogger } from './delivery-harness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LEASE_MS = 2000;

// PGlite is single-process: only Postgres can have a second worker process.
describe.runIf(process.env.TEST_DATABASE_URL)('webhook worker: kill -9 mid-delivery', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    t = await createTestApp();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t?.close();
    await receiver?.close();
  });

  it('loses nothing: the lease expires and another worker delivers it, with the same webhook-id', async () => {
    const agency = await createAgency(t.app, { tier: 'scale' });
    const sub = await addSubscription(t, agency.id, { url: `${receiver.url}/crash`, events: ['review.created'] });
    let hung = false;
    receiver.answerWith(() => {
      if (hung) return { status: 200 };
      hung = true;
      return 'hang';
    });
    const { event_id } = await simulate(t.app, agency.id, 'review.created');
    const deps = { db: t.ctx.db, database: t.database, clock: t.ctx.clock, config: t.ctx.config, logger: silentLogger };
    await createDispatcher(deps).runOnce();

    const output: string[] = [];
    child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'test/webhooks/fixtures/doomed-worker.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        WORKER_DATABASE_URL: (t.database as Database & { url: string }).url,
        WORKER_SECRET_KEY: t.ctx.config.secretKey!,
        WORKER_LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await receiver.waitForRequests(1, 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; child output: ${output.join('')}`);
    });

    const [leased] = await deliveriesOf(t, sub.id);
    expect(leased).toMatchObject({ status: 'delivering', locked_by: 'doomed-worker', attempts: 1 });
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const survivor = createDeliveryWorker({ ...deps, executor: t.ctx.services.deliveryEngine.executor, workerId: 'survivor' });
    const deadline = Date.now() + 30_000;
    while ((await survivor.runOnce()) === 0) {
      if (Date.now() > deadline) throw new Error('the delivery was never picked up again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const [delivery] = await deliveriesOf(t, sub.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, locked_by: null, last_status_code: 200 });
    // Taken over only once the dead worker's lease had expired.
    expect(delivery!.delivered_at!.getTime()).toBeGreaterThanOrEqual(leased!.locked_until!.getTime());
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([event_id, event_id]);
    // The log has no gap: the killed attempt is recorded as lost, then the one that succeeded.
    const attempts = await attemptsOf(t, delivery!.id);
    expect(attempts.map((a) => [a.attempt_number, a.error_kind, a.response_status])).toEqual([[1, 'worker_lost', null], [2, null, 200]]);
    expect(attempts[0]!.error_message).toContain('doomed-worker');
  });
});
