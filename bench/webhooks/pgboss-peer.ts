// The pg-boss peer of `npm run bench:webhooks`: the same pipeline built the usual way on a
// generic Postgres job queue (pg-boss), doing the same work per delivery as FARO.
// - Fan-out: the same outbox (`events`, FARO's own claim and mark), each batch of events turned
//   into one job per matching subscription with `boss.insert`, in the outbox's transaction.
// - Worker: `boss.work` fetches jobs in batches; each job is signed and POSTed with FARO's own
//   signer and sender (so the HTTP side is identical), its attempt is written to a table shaped
//   like webhook_delivery_attempts (one multi-row insert per batch), and pg-boss settles each job
//   (completed, or failed to be retried with backoff).
import { sql } from 'kysely';
import { PgBoss, fromKysely, type Db, type Job, type JobInsert, type JobResult } from 'pg-boss';
import { newId } from '../../src/lib/ids.ts';
import { claimUndispatchedEvents, markEventsDispatched } from '../../src/domains/events/repository.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { createSecretBox } from '../../src/domains/webhooks/secret-box.ts';
import { createWebhookSender, type SendOutcome } from '../../src/domains/webhooks/delivery/sender.ts';
import { buildWebhookHeaders } from '../../src/domains/webhooks/delivery/signer.ts';
import type { Database } from '../../src/db/database.ts';
import type { FreshDatabase } from './databases.ts';
import { createAgencyWithSubscriptions, insertEvents } from './databases.ts';
import { timeRound, type BenchContext, type RoundResult } from './context.ts';

const QUEUE = 'webhook-delivery';
const FAN_OUT_BATCH = 500; // FARO's dispatcher batch

export interface PgBossSettings {
  /** Jobs per fetch. */
  batchSize: number;
  /** Fetch loops; batchSize × localConcurrency requests in flight at most. */
  localConcurrency: number;
  /**
   * Write a batch's attempt rows in the transaction that completes its jobs (pg-boss's
   * `transactional` worker: one commit per batch, but the transaction stays open while the batch's
   * requests are under way), or write them first and let pg-boss settle the jobs after (two).
   */
  transactional: boolean;
}

interface DeliveryJob {
  event_id: string;
  agency_id: string;
  subscription_id: string;
  body: string;
}

interface Attempt {
  job: Job<DeliveryJob>;
  startedAt: Date;
  headers: Record<string, string>;
  outcome: SendOutcome;
}

/** Fans out every undispatched event into jobs; one transaction per FAN_OUT_BATCH events. */
async function fanOut(database: Database, boss: PgBoss): Promise<void> {
  for (;;) {
    const taken = await database.db.transaction().execute(async (trx) => {
      const events = await claimUndispatchedEvents(trx, FAN_OUT_BATCH);
      if (events.length === 0) return 0;
      const agencies = [...new Set(events.map((event) => event.agency_id))];
      const subscriptions = await trx.selectFrom('webhook_subscriptions').select(['id', 'agency_id', 'events'])
        .where('agency_id', 'in', agencies).where('enabled', '=', true).where('deleted_at', 'is', null).execute();
      const jobs: JobInsert<DeliveryJob>[] = [];
      for (const event of events) {
        const body = buildEventPayload(event);
        for (const subscription of subscriptions) {
          const types = subscription.events as unknown as string[];
          if (subscription.agency_id !== event.agency_id || !(types.includes('*') || types.includes(event.type))) continue;
          jobs.push({ data: { event_id: event.id, agency_id: event.agency_id, subscription_id: subscription.id, body } });
        }
      }
      if (jobs.length > 0) await boss.insert(QUEUE, jobs, { db: fromKysely(trx) });
      await markEventsDispatched(trx, events.map((event) => event.id), new Date());
      return events.length;
    });
    if (taken < FAN_OUT_BATCH) return;
  }
}

/** One multi-row insert; through pg-boss's transaction when given one. */
async function recordAttempts(database: Database, attempts: Attempt[], tx?: Db): Promise<void> {
  const rows = attempts.map(({ job, startedAt, headers, outcome }) => sql`(
    ${newId('whatt', startedAt)}, ${job.id}, ${job.data.agency_id}, ${job.data.subscription_id}, false, ${job.retryCount + 1}, ${startedAt}, ${outcome.durationMs},
    ${JSON.stringify(headers)}::jsonb, ${outcome.statusCode},
    ${outcome.responseHeaders ? JSON.stringify(outcome.responseHeaders) : null}::jsonb,
    ${outcome.responseBodyExcerpt}, ${outcome.errorKind}, ${outcome.errorMessage})`);
  const insert = sql`INSERT INTO pgboss_delivery_attempts
      (id, delivery_id, agency_id, subscription_id, is_test, attempt_number, started_at, duration_ms, request_headers, response_status,
       response_headers, response_body_excerpt, error_kind, error_message)
    VALUES ${sql.join(rows)}`;
  if (!tx) return void (await insert.execute(database.db));
  const { sql: text, parameters } = insert.compile(database.db);
  await tx.executeSql(text, [...parameters]);
}

export async function startPgBossPipeline(ctx: BenchContext, fresh: FreshDatabase, settings: PgBossSettings) {
  const { database } = fresh;
  const { webhooks } = ctx.config;
  // The attempt log: webhook_delivery_attempts' columns, checks and indexes; the delivery is the job.
  await fresh.exec('CREATE TABLE pgboss_delivery_attempts (LIKE webhook_delivery_attempts INCLUDING ALL)');
  const boss = new PgBoss({ connectionString: fresh.url, max: 10, useListenNotify: true, schedule: false });
  let stopping = false;
  // Dropping the round's database ends whatever connection pg-boss still has; that is no error.
  boss.on('error', (error) => stopping || ctx.log(`pg-boss: ${error.message}`));
  await boss.start();
  // Retries with backoff like a delivery's; a job may stay active as long as a FARO lease lasts.
  await boss.createQueue(QUEUE, {
    notify: true, retryLimit: 7, retryBackoff: true, retryDelay: 5, expireInSeconds: Math.ceil(webhooks.timeoutMs / 1000) + 30,
  });

  const sender = createWebhookSender({ allowPrivate: webhooks.allowPrivate, timeoutMs: webhooks.timeoutMs, connectTimeoutMs: webhooks.connectTimeoutMs });
  const box = createSecretBox(Buffer.from(ctx.secretKey, 'base64'));
  const subscriptions = new Map<string, Promise<{ url: string; secret: string }>>();
  function subscription(id: string) {
    let found = subscriptions.get(id);
    if (!found) {
      found = database.db.selectFrom('webhook_subscriptions').select(['url', 'secret_sealed']).where('id', '=', id)
        .executeTakeFirstOrThrow().then((row) => ({ url: row.url, secret: box.open(row.secret_sealed) }));
      subscriptions.set(id, found);
    }
    return found;
  }

  async function attempt(job: Job<DeliveryJob>): Promise<Attempt> {
    const { url, secret } = await subscription(job.data.subscription_id);
    const startedAt = new Date();
    const headers = {
      ...buildWebhookHeaders({ id: job.data.event_id, timestamp: Math.floor(startedAt.getTime() / 1000), body: job.data.body, secrets: [secret] }),
    };
    const outcome = await sender.send({ url, headers, body: job.data.body });
    return { job, startedAt, headers, outcome };
  }

  return {
    async start(): Promise<void> {
      const polling = {
        batchSize: settings.batchSize,
        localConcurrency: settings.localConcurrency,
        // Fetch again at once while batches come back full; otherwise a NOTIFY or the shortest poll.
        burstWhenBatchFull: true,
        pollingIntervalSeconds: 0.5,
        notifyPollingIntervalSeconds: 0.5,
      };
      const failure = ({ outcome }: Attempt) => ({ error_kind: outcome.errorKind, error_message: outcome.errorMessage });
      if (settings.transactional) {
        // The attempt rows commit with the jobs' completion, in the transaction pg-boss opens per batch.
        await boss.work(QUEUE, { ...polling, transactional: true }, async (jobs: Job<DeliveryJob>[], tx: Db) => {
          const attempts = await Promise.all(jobs.map(attempt));
          await recordAttempts(database, attempts, tx);
          for (const failed of attempts.filter(({ outcome }) => !outcome.ok)) {
            await boss.fail(QUEUE, failed.job, failure(failed), { db: tx });
          }
        });
      } else {
        await boss.work(QUEUE, { ...polling, perJobResults: true }, async (jobs: Job<DeliveryJob>[]): Promise<JobResult[]> => {
          const attempts = await Promise.all(jobs.map(attempt));
          await recordAttempts(database, attempts);
          return attempts.map((done) => done.outcome.ok
            ? { id: done.job.id, status: 'completed' }
            : { id: done.job.id, status: 'failed', output: failure(done) });
        });
      }
      await fanOut(database, boss);
    },
    async completed(): Promise<number> {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ${QUEUE} AND state = 'completed'`.execute(database.db);
      return rows[0]!.n;
    },
    async stop(): Promise<void> {
      stopping = true;
      await boss.stop({ graceful: true, close: true });
      await sender.close();
    },
  };
}

/** Throughput of the peer, on the same load as `runFaroRound`. */
export async function runPgBossRound(ctx: BenchContext, events: number, subscriptionCount: number, settings: PgBossSettings): Promise<RoundResult> {
  const fresh = await ctx.databases.create('pgboss');
  try {
    const { agencyId } = await createAgencyWithSubscriptions(fresh.database, {
      name: 'Bench agency', email: 'bench-webhooks@agency.test', secretKey: ctx.secretKey,
      urls: Array.from({ length: subscriptionCount }, (_, i) => `${ctx.receiver.url}/hook-${i}`),
    });
    await insertEvents(fresh.database, agencyId, events);
    await fresh.exec('ANALYZE');
    const pipeline = await startPgBossPipeline(ctx, fresh, settings);
    try {
      return await timeRound(ctx, fresh, events * subscriptionCount, () => pipeline.start(), () => pipeline.completed());
    } finally {
      await pipeline.stop();
    }
  } finally {
    await fresh.drop();
  }
}
