/**
 * Health alerts: raised where the system already knows (disabling, in the attempt recorder; the
 * quota, from the limiter's decision of the request that crosses 80 %), and by a periodic check
 * for conditions that arise as time passes (an endpoint failing for an hour, a key expiring within
 * 7 days). The same check resolves the alerts whose condition cleared.
 */
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { AlertKind, DB } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { iso } from '../../lib/schema.ts';
import { maskApiKey } from '../api/key-format.ts';
import type { RateLimitDecision, RateLimiter } from '../api/rate-limiter.ts';
import { API_RATE_WINDOW_SECONDS, effectiveKeyLimit, limiterKeyForApiKey } from '../api/rate-limit-policy.ts';
import { findKeyName, listExpiringKeys, listKeyQuotas } from '../api/repository.ts';
import { listFailingSubscriptions, listStillDisabled } from '../webhooks/subscriptions-repository.ts';
import { raiseAlert, type AlertOccurrence } from './raise.ts';
import * as repo from './repository.ts';
import { ALERT_EVENT_TYPES, EXPIRING_ALERT_WITHIN_MS, FAILING_ALERT_AFTER_MS, quotaAlertThreshold, type OpenAlert } from './schemas.ts';

/**
 * True for the one admitted request that brings the window's count to the threshold: each admit
 * adds one to a count the limiter computes atomically, so a rise from below the threshold passes
 * through it exactly once, on one request of one instance. Costs a comparison on the hot path.
 */
export function crossesQuotaAlert(decision: Pick<RateLimitDecision, 'allowed' | 'limit' | 'remaining'>): boolean {
  return decision.allowed && decision.limit > 0 && decision.limit - decision.remaining === quotaAlertThreshold(decision.limit);
}

function toOpenAlert(row: repo.AlertRow): OpenAlert {
  return { id: row.id, kind: row.kind, event_type: ALERT_EVENT_TYPES[row.kind], subject_id: row.subject_id, details: row.details, event_id: row.event_id, raised_at: iso(row.raised_at) };
}

export function createAlertService(deps: { db: Kysely<DB>; clock: Clock; limiter: RateLimiter; logger: FastifyBaseLogger }) {
  const { db, clock, limiter, logger } = deps;

  async function raise(occurrence: AlertOccurrence): Promise<boolean> {
    return (await db.transaction().execute((trx) => raiseAlert(trx, occurrence))) !== undefined;
  }

  /** Compares the open alerts of a kind with the subjects whose condition holds now: raises the new, resolves the cleared. */
  async function reconcile<T extends { id: string }>(kind: AlertKind, holding: T[], occurrence: (subject: T) => AlertOccurrence): Promise<{ raised: number; resolved: number }> {
    const open = await repo.listOpenAlertsOfKind(db, kind);
    const openSubjects = new Set(open.map((alert) => alert.subject_id));
    const holdingIds = new Set(holding.map((subject) => subject.id));
    let raised = 0;
    for (const subject of holding) {
      if (!openSubjects.has(subject.id) && (await raise(occurrence(subject)))) raised++;
    }
    const cleared = open.filter((alert) => !holdingIds.has(alert.subject_id)).map((alert) => alert.subject_id);
    const resolved = await repo.resolveAlerts(db, { kinds: [kind], subjectIds: cleared }, clock.now());
    return { raised, resolved };
  }

  return {
    async listOpen(agencyId: string): Promise<OpenAlert[]> {
      return (await repo.listOpenAlerts(db, agencyId)).map(toOpenAlert);
    },

    /**
     * The request that crossed 80 % of a key's quota (crossesQuotaAlert). Not awaited by the
     * request: the alert is written after it, and a failure is logged, never answered. At most
     * once per key per window: a key raised within the last window is not raised again.
     */
    quotaCrossed(agencyId: string, keyId: string, decision: Pick<RateLimitDecision, 'limit' | 'remaining'>): Promise<void> {
      const now = clock.now();
      return db
        .transaction()
        .execute(async (trx) => {
          if (await repo.raisedSince(trx, 'rate_limit_approaching', keyId, new Date(now.getTime() - API_RATE_WINDOW_SECONDS * 1000))) return;
          const name = await findKeyName(trx, keyId);
          if (name === undefined) return;
          const details = { key_id: keyId, name, limit: decision.limit, used: decision.limit - decision.remaining, window_seconds: API_RATE_WINDOW_SECONDS };
          await raiseAlert(trx, { agencyId, kind: 'rate_limit_approaching', subjectId: keyId, details, at: now });
        })
        .catch((error: unknown) => logger.error({ err: error, keyId }, 'raising the quota alert failed'));
    },

    /** Endpoints failing for an hour, endpoints disabled then enabled again, keys expiring within 7 days. */
    async checkHealth() {
      const now = clock.now();
      const failing = await listFailingSubscriptions(db, new Date(now.getTime() - FAILING_ALERT_AFTER_MS));
      const endpointFailing = await reconcile('endpoint_failing', failing, (sub) => ({
        agencyId: sub.agency_id, kind: 'endpoint_failing', subjectId: sub.id, at: now,
        details: { subscription_id: sub.id, url: sub.url, failing_since: iso(sub.failing_since!) },
      }));
      // Disabled alerts are raised when FARO disables (attempt-recorder.ts); here they only resolve.
      const disabled = (await repo.listOpenAlertsOfKind(db, 'endpoint_disabled')).map((alert) => alert.subject_id);
      const stillDisabled = new Set(await listStillDisabled(db, disabled));
      const reEnabled = disabled.filter((id) => !stillDisabled.has(id));
      const endpointDisabled = { raised: 0, resolved: await repo.resolveAlerts(db, { kinds: ['endpoint_disabled'], subjectIds: reEnabled }, now) };
      const expiring = await listExpiringKeys(db, now, new Date(now.getTime() + EXPIRING_ALERT_WITHIN_MS));
      const keyExpiring = await reconcile('api_key_expiring', expiring, (key) => ({
        agencyId: key.agency_id, kind: 'api_key_expiring', subjectId: key.id, at: now,
        details: { key_id: key.id, name: key.name, masked_key: maskApiKey(key.display_prefix, key.display_suffix), expires_at: iso(key.expires_at!) },
      }));
      return { endpoint_failing: endpointFailing, endpoint_disabled: endpointDisabled, api_key_expiring: keyExpiring };
    },

    /**
     * Resolves the quota alerts of keys now under 80 % of their quota (or revoked). Reads the
     * limiter's counters, so it runs where requests are served (a worker's limiter counts none).
     */
    async checkQuotas(): Promise<{ resolved: number }> {
      const open = await repo.listOpenAlertsOfKind(db, 'rate_limit_approaching');
      if (open.length === 0) return { resolved: 0 };
      const keys = new Map((await listKeyQuotas(db, open.map((alert) => alert.subject_id))).map((key) => [key.id, key]));
      const cleared: string[] = [];
      for (const alert of open) {
        const key = keys.get(alert.subject_id);
        if (!key || key.revoked_at) {
          cleared.push(alert.subject_id);
          continue;
        }
        const limit = effectiveKeyLimit(key.rate_limit, { tier: key.tier, api_rate_limit: key.agency_rate_limit });
        const usage = await limiter.peek(limiterKeyForApiKey(key.id), limit, API_RATE_WINDOW_SECONDS);
        if (usage.used < quotaAlertThreshold(limit)) cleared.push(alert.subject_id);
      }
      return { resolved: await repo.resolveAlerts(db, { kinds: ['rate_limit_approaching'], subjectIds: cleared }, clock.now()) };
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
