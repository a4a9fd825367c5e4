import type { Kysely } from 'kysely';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/types.ts';
import { ApiError, notFound } from '../../kit/errors.ts';
import { toPage, type Page, type PageRequest } from '../../kit/pagination.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { buildSamplePayload } from '../events/catalog.ts';
import type { EventType } from '../events/event-types.ts';
import { cancelWaitingDeliveries, insertDelivery } from './delivery/queue-repository.ts';
import { generateWebhookSecret, type SecretBox } from './secret-box.ts';
import type { ResolveHost } from './delivery/ssrf.ts';
import * as repo from './subscriptions-repository.ts';
import { assertAllowedUrl, assertMayReceive, assertStarAlone, EMPTY_HEALTH, toHealth, toSubscription } from './subscription-rules.ts';
import type { ScopedCaller } from '../events/scope-fence.ts';
import {
  MAX_SUBSCRIPTIONS_PER_AGENCY,
  type CreateSubscriptionInput,
  type CreatedSubscription,
  type Subscription,
  type TestOutcome,
  type UpdateSubscriptionInput,
} from './schemas.ts';
import type { AttemptOutcome } from './delivery/executor.ts';
import { auditableUrl, recordAudit } from '../audit/service.ts';
import { resolveEndpointAlerts } from '../alerts/raise.ts';
import type { AuditActor } from '../audit/schemas.ts';

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
const HEALTH_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface SubscriptionServiceDeps {
  db: Kysely<DB>;
  clock: Clock;
  config: Pick<Config, 'webhooks'>;
  /** Seals secrets at rest (AES-256-GCM, FARO_SECRET_KEY). */
  secretBox: SecretBox;
  /** Sends one attempt of a delivery right away (the delivery executor). */
  attemptDelivery: (deliveryId: string) => Promise<AttemptOutcome>;
  /** Hostname resolution for the URL check; tests may inject one. */
  resolve?: ResolveHost;
}

/** The fields an update changes, before and after, as the audit log keeps them (URLs without their query). */
function changedFields(current: repo.SubscriptionRow, input: UpdateSubscriptionInput): { changes: Record<string, unknown>; previous: Record<string, unknown> } {
  const before = { url: auditableUrl(current.url), events: current.events, description: current.description, enabled: current.enabled };
  const after = { ...input, ...(input.url === undefined ? {} : { url: auditableUrl(input.url) }) };
  const changes: Record<string, unknown> = {};
  const previous: Record<string, unknown> = {};
  for (const field of ['url', 'events', 'description', 'enabled'] as const) {
    if (after[field] === undefined) continue;
    changes[field] = after[field];
    previous[field] = before[field];
  }
  return { changes, previous };
}

/** Subscriptions of the management API: CRUD, signing secrets and test sends. */
export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  const { db, clock, config, secretBox } = deps;
  const urlPolicy = { allowPrivate: config.webhooks.allowPrivate, resolve: deps.resolve };

  async function load(agencyId: string, id: string): Promise<repo.SubscriptionRow> {
    const row = await repo.findSubscription(db, agencyId, id);
    if (!row) throw notFound('webhook subscription');
    return row;
  }

  async function withHealth(agencyId: string, rows: repo.SubscriptionRow[]): Promise<Map<string, Subscription>> {
    const since = new Date(clock.now().getTime() - HEALTH_WINDOW_MS);
    const stats = await repo.subscriptionHealth(db, agencyId, rows.map((row) => row.id), since);
    const byId = new Map(stats.map((stat) => [stat.subscription_id, stat]));
    return new Map(rows.map((row) => [row.id, toSubscription(row, toHealth(byId.get(row.id)))]));
  }

  async function render(agencyId: string, row: repo.SubscriptionRow): Promise<Subscription> {
    return (await withHealth(agencyId, [row])).get(row.id)!;
  }

  return {
    async create(caller: ScopedCaller, input: CreateSubscriptionInput, actor: AuditActor): Promise<CreatedSubscription> {
      const { agencyId } = caller;
      assertStarAlone(input.events);
      assertMayReceive(caller, input.events);
      await assertAllowedUrl(input.url, urlPolicy);
      const secret = generateWebhookSecret();
      const row = await db.transaction().execute(async (trx) => {
        await repo.lockAgency(trx, agencyId);
        if ((await repo.countSubscriptions(trx, agencyId)) >= MAX_SUBSCRIPTIONS_PER_AGENCY) {
          throw new ApiError('conflict', `An agency can have at most ${MAX_SUBSCRIPTIONS_PER_AGENCY} webhook subscriptions; delete one first.`);
        }
        const now = clock.now();
        const enabled = input.enabled ?? true;
        const created = await repo.insertSubscription(trx, {
          id: newId('whsub', now),
          agency_id: agencyId,
          url: input.url,
          events: JSON.stringify(input.events),
          description: input.description ?? '',
          secret_sealed: secretBox.seal(secret),
          enabled,
          disabled_at: enabled ? null : now,
          created_at: now,
          updated_at: now,
        });
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook.created', target: { type: 'webhook_subscription', id: created.id }, at: now,
          details: { url: auditableUrl(created.url), events: created.events, description: created.description, enabled },
        });
        return created;
      });
      return { ...toSubscription(row, EMPTY_HEALTH), secret };
    },

    async list(agencyId: string, page: PageRequest): Promise<Page<Subscription>> {
      const rows = await repo.listSubscriptions(db, agencyId, page);
      const pageRows = rows.slice(0, page.limit);
      const rendered = await withHealth(agencyId, pageRows);
      return toPage(rows, page.limit, (row) => rendered.get(row.id)!);
    },

    async get(agencyId: string, id: string): Promise<Subscription> {
      return render(agencyId, await load(agencyId, id));
    },

    /** Changing `events` or `url` decides where data goes: the caller must read every type it delivers. */
    async update(caller: ScopedCaller, id: string, input: UpdateSubscriptionInput, actor: AuditActor): Promise<Subscription> {
      const { agencyId } = caller;
      if (input.events !== undefined) {
        assertStarAlone(input.events);
        assertMayReceive(caller, input.events);
      }
      if (input.url !== undefined) await assertAllowedUrl(input.url, urlPolicy);
      const row = await db.transaction().execute(async (trx) => {
        const current = await repo.findSubscription(trx, agencyId, id, { forUpdate: true });
        if (!current) throw notFound('webhook subscription');
        // A new URL for the existing types would send them to whoever the caller chooses.
        if (input.url !== undefined && input.events === undefined) assertMayReceive(caller, current.events);
        const now = clock.now();
        const changes: repo.SubscriptionChanges = { updated_at: now };
        if (input.url !== undefined) changes.url = input.url;
        if (input.events !== undefined) changes.events = JSON.stringify(input.events);
        if (input.description !== undefined) changes.description = input.description;
        if (input.enabled === true && !current.enabled) {
          // A fresh start: the reason, and the failure run that would auto-disable it again.
          Object.assign(changes, { enabled: true, disabled_reason: null, disabled_at: null, failing_since: null });
        } else if (input.enabled === false && current.enabled) {
          Object.assign(changes, { enabled: false, disabled_reason: null, disabled_at: now });
        }
        const updated = await repo.updateSubscription(trx, agencyId, id, changes);
        // Enabled again (or disabled by hand): an open disabled/failing alert about it is over.
        if (changes.enabled !== undefined) await resolveEndpointAlerts(trx, id, now);
        // Disabled means no more sending: what waits in the queue is cancelled now (`recover` can
        // requeue it after re-enabling), not left to be sent first if it is enabled again.
        if (changes.enabled === false) {
          await cancelWaitingDeliveries(trx, { subscriptionId: id, reason: 'Cancelled: the subscription was disabled.' }, now);
        }
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook.updated', target: { type: 'webhook_subscription', id }, at: now, details: changedFields(current, input),
        });
        return updated;
      });
      return render(agencyId, row);
    },

    /** Soft delete: the row stays for the delivery log's foreign keys; queued deliveries are cancelled. */
    async remove(agencyId: string, id: string, actor: AuditActor): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const current = await repo.findSubscription(trx, agencyId, id, { forUpdate: true });
        if (!current) throw notFound('webhook subscription');
        const now = clock.now();
        // enabled=false too, so nothing that reads only `enabled` can fan out to it.
        await repo.updateSubscription(trx, agencyId, id, { deleted_at: now, enabled: false, updated_at: now });
        await resolveEndpointAlerts(trx, id, now);
        await cancelWaitingDeliveries(trx, { subscriptionId: id, reason: 'Cancelled: the subscription was deleted.' }, now);
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook.deleted', target: { type: 'webhook_subscription', id }, at: now, details: { url: auditableUrl(current.url) },
        });
      });
    },

    /** Recorded before the secret is handed out: no reveal goes unlogged. */
    async revealSecret(agencyId: string, id: string, actor: AuditActor): Promise<{ secret: string }> {
      const row = await load(agencyId, id);
      const secret = secretBox.open(row.secret_sealed);
      await recordAudit(db, { agencyId, actor, action: 'webhook.secret_revealed', target: { type: 'webhook_subscription', id }, at: clock.now() });
      return { secret };
    },

    /** New secret; the current one keeps signing next to it for 24 hours. */
    async rotateSecret(agencyId: string, id: string, actor: AuditActor): Promise<{ secret: string; previous_secret_expires_at: string }> {
      const secret = generateWebhookSecret();
      const row = await db.transaction().execute(async (trx) => {
        const current = await repo.findSubscription(trx, agencyId, id, { forUpdate: true });
        if (!current) throw notFound('webhook subscription');
        const now = clock.now();
        const updated = await repo.updateSubscription(trx, agencyId, id, {
          secret_sealed: secretBox.seal(secret),
          previous_secret_sealed: current.secret_sealed,
          previous_secret_expires_at: new Date(now.getTime() + ROTATION_OVERLAP_MS),
          updated_at: now,
        });
        await recordAudit(trx, {
          agencyId, actor, action: 'webhook.secret_rotated', target: { type: 'webhook_subscription', id }, at: now,
          details: { previous_secret_expires_at: updated.previous_secret_expires_at!.toISOString() },
        });
        return updated;
      });
      return { secret, previous_secret_expires_at: row.previous_secret_expires_at!.toISOString() };
    },

    /**
     * Send a sample of `eventType` now, signed like any delivery, and report what the endpoint
     * answered. The delivery is recorded (is_test) so it shows in the log; it is never retried.
     */
    async sendTest(caller: ScopedCaller & { livemode: boolean }, id: string, eventType: EventType): Promise<TestOutcome> {
      const { agencyId, livemode } = caller;
      assertMayReceive(caller, [eventType]);
      await load(agencyId, id);
      const now = clock.now();
      const sample = buildSamplePayload(eventType, { agencyId, livemode, subscriptionId: id, at: now });
      const deliveryId = newId('whdel', now);
      await insertDelivery(db, {
        id: deliveryId,
        agency_id: agencyId,
        subscription_id: id,
        event_id: null,
        event_type: eventType,
        payload: sample.body,
        status: 'pending',
        // Not due: the worker must not pick it up; this request makes its one attempt.
        next_attempt_at: null,
        is_test: true,
        created_at: now,
        updated_at: now,
      });
      const outcome = await deps.attemptDelivery(deliveryId);
      return {
        delivery_id: deliveryId,
        success: outcome.success,
        status_code: outcome.status_code,
        duration_ms: Math.max(0, Math.round(outcome.duration_ms)),
        response_body_excerpt: outcome.response_body_excerpt,
        error_kind: outcome.error_kind,
        error_message: outcome.error_message,
      };
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
