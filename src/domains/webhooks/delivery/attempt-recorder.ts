/**
 * Records finished attempts and their consequences: the attempt row, the delivery's next state
 * (succeeded, retry at, failed), and what it means for the subscription (a run of failures,
 * disabling on 410 Gone or after failing too long). Group commit: attempts that finish while a
 * batch is being written go into the next batch, so an idle worker records at once and a busy
 * one pays one transaction for many attempts.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../../config.ts';
import type { DB, Executor } from '../../../db/types.ts';
import { nextAttemptDelayMs } from './retry-schedule.ts';
import type { SendOutcome } from './sender.ts';
import { cancelWaitingDeliveries, recordAttempts, type ClaimedDelivery, type DeliveryResult } from './queue-repository.ts';
import { disableSubscription, markSubscriptionFailing } from '../subscriptions-repository.ts';
import { raiseAlert, resolveEndpointAlerts } from '../../alerts/raise.ts';

const MAX_BATCH = 200;
/**
 * Batches written at once. One keeps batches as large as possible: recording is off the critical
 * path (a slot is free again once its request is over), so fewer, larger statements win.
 */
const MAX_WRITERS = 1;

export interface FinishedAttempt {
  delivery: ClaimedDelivery;
  workerId: string;
  startedAt: Date;
  /** When the outcome was known; the base of the next attempt's time. */
  finishedAt: Date;
  requestHeaders: Record<string, string>;
  outcome: SendOutcome;
}

/** Postgres text and jsonb cannot hold NUL; a receiver's bytes are not ours to trust. */
function clean(text: string | null): string | null {
  return text === null ? null : text.replaceAll('\u0000', '\uFFFD');
}

function cleanHeaders(headers: Record<string, string> | null): Record<string, string> | null {
  if (!headers) return null;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [clean(name)!, clean(value)!]));
}

export function createAttemptRecorder(deps: {
  db: Kysely<DB>;
  config: Pick<Config, 'webhooks'>;
  logger: FastifyBaseLogger;
  random?: () => number;
}) {
  const { db, logger } = deps;
  const settings = deps.config.webhooks;
  type Entry = { attempt: FinishedAttempt; done: (error?: unknown) => void };
  let queue: Entry[] = [];
  let writers = 0;

  /** The delivery's next state: succeeded, a retry per the schedule (Retry-After on 429/503), or failed. */
  function resultOf({ delivery, outcome, finishedAt }: FinishedAttempt): DeliveryResult {
    if (outcome.ok) {
      return { status: 'succeeded', nextAttemptAt: null, lastStatusCode: outcome.statusCode, lastError: null, deliveredAt: finishedAt };
    }
    const base = { lastStatusCode: outcome.statusCode, lastError: clean(outcome.errorMessage ?? outcome.errorKind ?? 'failed'), deliveredAt: null };
    // Test sends are never retried; 410 Gone means the endpoint is gone for good.
    if (delivery.is_test || outcome.statusCode === 410) return { ...base, status: 'failed', nextAttemptAt: null };
    const honoursRetryAfter = outcome.statusCode === 429 || outcome.statusCode === 503;
    const delay = nextAttemptDelayMs(delivery.attempts, {
      jitter: settings.retryJitter,
      ...(deps.random ? { random: deps.random } : {}),
      retryAfterSeconds: honoursRetryAfter ? outcome.retryAfterSeconds : null,
    });
    if (delay === null) return { ...base, status: 'failed', nextAttemptAt: null };
    return { ...base, status: 'pending', nextAttemptAt: new Date(finishedAt.getTime() + delay) };
  }

  async function disableAndCancel(trx: Executor, subscriptionId: string, reason: string, now: Date, failingSinceBefore?: Date) {
    const disabled = await disableSubscription(trx, { subscriptionId, reason, now, ...(failingSinceBefore ? { failingSinceBefore } : {}) });
    if (!disabled) return;
    // faro.endpoint.disabled, for the agency's other endpoints (this one gets nothing now); it supersedes the failing alert.
    await resolveEndpointAlerts(trx, subscriptionId, now, ['endpoint_failing']);
    await raiseAlert(trx, {
      agencyId: disabled.agency_id, kind: 'endpoint_disabled', subjectId: subscriptionId, at: now,
      details: { subscription_id: subscriptionId, url: disabled.url, reason, disabled_at: now.toISOString() },
    });
    const cancelled = await cancelWaitingDeliveries(trx, { subscriptionId, reason: `cancelled: ${reason}` }, now);
    logger.warn({ subscriptionId, cancelled, reason }, 'webhook subscription disabled');
  }

  /** A failed attempt's effect on its subscription: a run of failures, maybe the end of it. */
  async function afterFailure(trx: Executor, attempt: FinishedAttempt, result: DeliveryResult): Promise<void> {
    const { delivery, outcome, finishedAt: now } = attempt;
    await markSubscriptionFailing(trx, delivery.subscription_id, now);
    if (outcome.statusCode === 410) {
      const reason = `The endpoint answered 410 Gone on ${now.toISOString()}: disabled at once. Re-enable it to resume deliveries.`;
      await disableAndCancel(trx, delivery.subscription_id, reason, now);
      return;
    }
    const failingSince = delivery.failing_since ? new Date(delivery.failing_since) : now;
    const limitMs = settings.autoDisableAfterHours * 3600_000;
    if (now.getTime() - failingSince.getTime() >= limitMs) {
      const reason =
        `Every delivery failed for ${settings.autoDisableAfterHours} hours (since ${failingSince.toISOString()}): ` +
        'disabled automatically. Fix the endpoint, then re-enable it and recover the failed deliveries.';
      await disableAndCancel(trx, delivery.subscription_id, reason, now, new Date(now.getTime() - limitMs));
    }
    if (result.status === 'pending') await cancelWaitingDeliveries(trx, { deliveryId: delivery.id, ifSubscriptionInactive: true }, now);
  }

  async function write(attempts: FinishedAttempt[]): Promise<void> {
    const results = attempts.map(resultOf);
    const records = attempts.map(({ delivery, startedAt, requestHeaders, outcome }) => ({
      deliveryId: delivery.id,
      agencyId: delivery.agency_id,
      subscriptionId: delivery.subscription_id,
      isTest: delivery.is_test,
      attemptNumber: delivery.attempts,
      startedAt,
      durationMs: outcome.durationMs,
      requestHeaders,
      responseStatus: outcome.statusCode,
      responseHeaders: cleanHeaders(outcome.responseHeaders),
      responseBodyExcerpt: clean(outcome.responseBodyExcerpt),
      errorKind: outcome.errorKind,
      errorMessage: clean(outcome.errorMessage),
    }));
    const releases = attempts.map(({ delivery, workerId, finishedAt }, i) => ({
      id: delivery.id, workerId, attempts: delivery.attempts, now: finishedAt, result: results[i]!,
    }));
    const lost = (released: Set<string>) => {
      for (const { delivery, workerId } of attempts) {
        if (!released.has(delivery.id)) logger.warn({ deliveryId: delivery.id, workerId }, 'webhook delivery lease was lost before the attempt was recorded');
      }
    };
    // A test send is a probe by hand: it neither heals nor condemns the subscription.
    const failures = attempts.flatMap((attempt, i) => (attempt.outcome.ok || attempt.delivery.is_test ? [] : [i]));
    if (failures.length === 0) {
      lost(await recordAttempts(db, records, releases)); // one statement: atomic on its own
      return;
    }
    await db.transaction().execute(async (trx) => {
      const released = await recordAttempts(trx, records, releases);
      lost(released);
      for (const i of failures) {
        if (released.has(attempts[i]!.delivery.id)) await afterFailure(trx, attempts[i]!, results[i]!);
      }
    });
  }

  async function writeBatch(batch: Entry[]): Promise<void> {
    try {
      await write(batch.map((entry) => entry.attempt));
      for (const entry of batch) entry.done();
    } catch (error) {
      if (batch.length === 1) return batch[0]!.done(error);
      // One bad row (or a deadlock) must not sink its neighbours: write them one by one.
      for (const entry of batch) await write([entry.attempt]).then(() => entry.done(), (e: unknown) => entry.done(e));
    }
  }

  function pump(): void {
    while (writers < MAX_WRITERS && queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      writers++;
      void writeBatch(batch).finally(() => {
        writers--;
        pump();
      });
    }
  }

  return {
    /** Resolves once the attempt and its consequences are committed. */
    record(attempt: FinishedAttempt): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ attempt, done: (error) => (error === undefined ? resolve() : reject(error)) });
        pump();
      });
    },
  };
}

export type AttemptRecorder = ReturnType<typeof createAttemptRecorder>;
