/**
 * Every filter of every public list, run by the repository's own list function on the seeded
 * tables (./seed.ts): what bench/api-polling.ts times and test/public-api/filter-plans.test.ts
 * EXPLAINs. A closed-set filter asks for the column's rare value (a handful per agency, fewer
 * than a page): without an index that bounds it, the list walks every row of the agency.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../src/db/types.ts';
import { listConversations } from '../../src/domains/conversations/repository.ts';
import { listMessages } from '../../src/domains/messages/repository.ts';
import { listReviews } from '../../src/domains/reviews/repository.ts';
import { listLeads } from '../../src/domains/leads/repository.ts';
import { listEvents } from '../../src/domains/events/repository.ts';
import { listDeliveries } from '../../src/domains/webhooks/delivery-log-repository.ts';
import { listAuditEvents } from '../../src/domains/audit/repository.ts';
import { EVENT_TYPES } from '../../src/domains/events/event-types.ts';
import { POLL_WINDOW_ROWS, RARE, STEP_MS, type PollingFixture, type SeededAgency, type SeededTable } from './seed.ts';

export interface ListFilterCase {
  /** The list's operationId in api/openapi.yaml, and the query parameter the case sets. */
  operation: string;
  param: string | null;
  /** How the table shows it, e.g. `rating=1`. */
  label: string;
  table: SeededTable;
  /**
   * What serves the filter: the plan's Index Cond on `table` bounds every column of one of these
   * sets (`id` for the time filters, which bound the time-ordered id: migrations/0009).
   */
  boundedBy: string[][];
  run(db: Kysely<DB>, fixture: PollingFixture, agency: SeededAgency): Promise<unknown>;
  /** The query as the list ran it before migrations/0009, where the list changed with it. */
  before?: (db: Kysely<DB>, fixture: PollingFixture, agency: SeededAgency) => Promise<unknown>;
}

const PAGE = { limit: 25 };
const DAY_MS = 24 * 60 * 60_000;

/** A poll: what changed in the time of the table's last few rows (30 minutes of reviews: 15 rows). */
export const pollingSince = (fixture: PollingFixture, table: SeededTable) => new Date(fixture.now.getTime() - POLL_WINDOW_ROWS * STEP_MS[table]);
const since = (table: SeededTable) => {
  const seconds = (POLL_WINDOW_ROWS * STEP_MS[table]) / 1000;
  return `${seconds >= 60 ? `${seconds / 60} min` : `${seconds} s`} ago`;
};
/** The events list never reaches further back than the retention of events (30 days). */
const retentionStart = (fixture: PollingFixture) => new Date(fixture.now.getTime() - 30 * DAY_MS);

/** The page query before the change: the window on created_at alone. */
function createdSinceBefore(table: 'messages' | 'reviews' | 'events', conditions: (agency: SeededAgency) => Record<string, string | readonly string[]> = () => ({})) {
  return (db: Kysely<DB>, fixture: PollingFixture, agency: SeededAgency, from = pollingSince(fixture, table)) => {
    let query = db.selectFrom(table as 'reviews').selectAll().where('agency_id', '=', agency.id).where('created_at', '>=', from);
    for (const [column, value] of Object.entries(conditions(agency))) {
      query = typeof value === 'string' ? query.where(column as 'id', '=', value) : query.where(column as 'id', 'in', value);
    }
    return query.orderBy('id', 'desc').limit(PAGE.limit + 1).execute();
  };
}

export const LIST_FILTER_CASES: ListFilterCase[] = [
  {
    operation: 'listConversations', param: 'location_id', label: 'location_id', table: 'conversations', boundedBy: [['location_id']],
    run: (db, _, a) => listConversations(db, a.id, { location_id: a.location }, PAGE),
  },
  {
    operation: 'listConversations', param: 'status', label: `status=${RARE.conversationStatus}`, table: 'conversations', boundedBy: [['status']],
    run: (db, _, a) => listConversations(db, a.id, { status: RARE.conversationStatus }, PAGE),
  },
  {
    operation: 'listConversations', param: 'channel', label: `channel=${RARE.conversationChannel}`, table: 'conversations', boundedBy: [['channel']],
    run: (db, _, a) => listConversations(db, a.id, { channel: RARE.conversationChannel }, PAGE),
  },
  {
    operation: 'listConversations', param: 'updated_since', label: `updated_since=${since('conversations')}`, table: 'conversations', boundedBy: [['updated_at']],
    run: (db, f, a) => listConversations(db, a.id, { updated_since: pollingSince(f, 'conversations').toISOString() }, PAGE),
  },
  {
    operation: 'listMessages', param: 'conversation_id', label: 'conversation_id', table: 'messages', boundedBy: [['conversation_id']],
    run: (db, _, a) => listMessages(db, a.id, { conversation_id: a.conversation }, PAGE),
  },
  {
    operation: 'listMessages', param: 'direction', label: `direction=${RARE.messageDirection}`, table: 'messages', boundedBy: [['direction']],
    run: (db, _, a) => listMessages(db, a.id, { direction: RARE.messageDirection }, PAGE),
  },
  {
    operation: 'listMessages', param: 'created_since', label: `created_since=${since('messages')}`, table: 'messages', boundedBy: [['id']],
    run: (db, f, a) => listMessages(db, a.id, { created_since: pollingSince(f, 'messages').toISOString() }, PAGE),
    before: createdSinceBefore('messages'),
  },
  {
    // GET /conversations/{id}/messages: listMessages with the conversation, which bounds everything else.
    operation: 'listConversationMessages', param: 'direction', label: `direction=${RARE.messageDirection}`, table: 'messages', boundedBy: [['conversation_id'], ['direction']],
    run: (db, _, a) => listMessages(db, a.id, { conversation_id: a.conversation, direction: RARE.messageDirection }, PAGE),
  },
  {
    operation: 'listConversationMessages', param: 'created_since', label: `created_since=${since('messages')}`, table: 'messages', boundedBy: [['conversation_id'], ['id']],
    run: (db, f, a) => listMessages(db, a.id, { conversation_id: a.conversation, created_since: pollingSince(f, 'messages').toISOString() }, PAGE),
    before: createdSinceBefore('messages', (a) => ({ conversation_id: a.conversation })),
  },
  {
    operation: 'listReviews', param: 'location_id', label: 'location_id', table: 'reviews', boundedBy: [['location_id']],
    run: (db, _, a) => listReviews(db, a.id, { location_id: a.location }, PAGE),
  },
  {
    operation: 'listReviews', param: 'source', label: `source=${RARE.reviewSource}`, table: 'reviews', boundedBy: [['source']],
    run: (db, _, a) => listReviews(db, a.id, { source: RARE.reviewSource }, PAGE),
  },
  {
    operation: 'listReviews', param: 'rating', label: `rating=${RARE.reviewRating}`, table: 'reviews', boundedBy: [['rating']],
    run: (db, _, a) => listReviews(db, a.id, { rating: RARE.reviewRating }, PAGE),
  },
  {
    operation: 'listReviews', param: 'created_since', label: `created_since=${since('reviews')}`, table: 'reviews', boundedBy: [['id']],
    run: (db, f, a) => listReviews(db, a.id, { created_since: pollingSince(f, 'reviews').toISOString() }, PAGE),
    before: createdSinceBefore('reviews'),
  },
  {
    operation: 'listLeads', param: 'location_id', label: 'location_id', table: 'leads', boundedBy: [['location_id']],
    run: (db, _, a) => listLeads(db, a.id, { location_id: a.location }, PAGE),
  },
  {
    operation: 'listLeads', param: 'status', label: `status=${RARE.leadStatus}`, table: 'leads', boundedBy: [['status']],
    run: (db, _, a) => listLeads(db, a.id, { status: RARE.leadStatus }, PAGE),
  },
  {
    operation: 'listLeads', param: 'updated_since', label: `updated_since=${since('leads')}`, table: 'leads', boundedBy: [['updated_at']],
    run: (db, f, a) => listLeads(db, a.id, { updated_since: pollingSince(f, 'leads').toISOString() }, PAGE),
  },
  {
    // Without created_since the list is still a window: the last 30 days.
    operation: 'listEvents', param: null, label: '(the last 30 days)', table: 'events', boundedBy: [['id']],
    run: (db, f, a) => listEvents(db, a.id, { types: EVENT_TYPES, since: retentionStart(f) }, PAGE),
    before: (db, f, a) => createdSinceBefore('events', () => ({ type: EVENT_TYPES }))(db, f, a, retentionStart(f)),
  },
  {
    operation: 'listEvents', param: 'type', label: `type=${RARE.eventType}`, table: 'events', boundedBy: [['type', 'id']],
    run: (db, f, a) => listEvents(db, a.id, { types: [RARE.eventType], since: retentionStart(f) }, PAGE),
    before: (db, f, a) => createdSinceBefore('events', () => ({ type: RARE.eventType }))(db, f, a, retentionStart(f)),
  },
  {
    operation: 'listEvents', param: 'created_since', label: `created_since=${since('events')}`, table: 'events', boundedBy: [['id']],
    run: (db, f, a) => listEvents(db, a.id, { types: EVENT_TYPES, since: pollingSince(f, 'events') }, PAGE),
    before: createdSinceBefore('events', () => ({ type: EVENT_TYPES })),
  },
  {
    operation: 'listWebhookDeliveries', param: 'status', label: `status=${RARE.deliveryStatus}`, table: 'webhook_deliveries', boundedBy: [['status']],
    run: (db, _, a) => listDeliveries(db, a.id, a.subscription, { status: RARE.deliveryStatus, types: EVENT_TYPES }, PAGE),
  },
  {
    operation: 'listWebhookDeliveries', param: 'event_type', label: `event_type=${RARE.eventType}`, table: 'webhook_deliveries', boundedBy: [['event_type']],
    run: (db, _, a) => listDeliveries(db, a.id, a.subscription, { types: [RARE.eventType] }, PAGE),
  },
  {
    operation: 'listAuditEvents', param: 'action', label: `action=${RARE.auditAction}`, table: 'audit_log', boundedBy: [['action']],
    run: (db, _, a) => listAuditEvents(db, a.id, { actions: [RARE.auditAction] }, PAGE),
  },
  {
    operation: 'listAuditEvents', param: 'created_since', label: `created_since=${since('audit_log')}`, table: 'audit_log', boundedBy: [['id']],
    run: (db, f, a) => listAuditEvents(db, a.id, { since: pollingSince(f, 'audit_log') }, PAGE),
    before: (db, f, a) => auditBefore(db, a, (query) => query.where('audit_log.created_at', '>=', pollingSince(f, 'audit_log'))),
  },
  {
    operation: 'listAuditEvents', param: 'created_before', label: 'created_before=30 days ago', table: 'audit_log', boundedBy: [['id']],
    run: (db, f, a) => listAuditEvents(db, a.id, { until: retentionStart(f) }, PAGE),
    before: (db, f, a) => auditBefore(db, a, (query) => query.where('audit_log.created_at', '<', retentionStart(f))),
  },
];

type AuditQuery = ReturnType<typeof auditPage>;

/** listAuditEvents' query as it was before migrations/0009, up to its time window. */
const auditPage = (db: Kysely<DB>, agency: SeededAgency) =>
  db
    .selectFrom('audit_log')
    .leftJoin('users', (join) => join.onRef('users.id', '=', 'audit_log.actor_id').onRef('users.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('api_keys as actor_key', (join) => join.onRef('actor_key.id', '=', 'audit_log.actor_id').onRef('actor_key.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('api_keys as target_key', (join) => join.onRef('target_key.id', '=', 'audit_log.target_id').onRef('target_key.agency_id', '=', 'audit_log.agency_id'))
    .leftJoin('webhook_subscriptions as target_subscription', (join) =>
      join.onRef('target_subscription.id', '=', 'audit_log.target_id').onRef('target_subscription.agency_id', '=', 'audit_log.agency_id'))
    .selectAll('audit_log')
    .select(['users.email as actor_email', 'actor_key.name as actor_key_name', 'target_key.name as target_key_name', 'target_subscription.url as target_url'])
    .where('audit_log.agency_id', '=', agency.id);

function auditBefore(db: Kysely<DB>, agency: SeededAgency, window: (query: AuditQuery) => AuditQuery) {
  return window(auditPage(db, agency)).orderBy('audit_log.id', 'desc').limit(PAGE.limit + 1).execute();
}
