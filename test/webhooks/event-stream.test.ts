import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../support/app.ts';
import { expectProblem } from '../support/problem.ts';
import { usingPostgres } from '../support/database.ts';
import { openSse, type SseClient } from '../support/sse-client.ts';
import { simulate } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { appendEvent } from '../../src/domains/events/repository.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { newCaller, type Caller } from './support.ts';

const STREAM = '/api/v1/events/stream';

describe('GET /events/stream: the agency\'s events, live, as Server-Sent Events', () => {
  let t: TestApp;
  let caller: Caller;
  const open: SseClient[] = [];

  async function stream(query = '', headers: Record<string, string> = {}, key = caller.key): Promise<SseClient> {
    const client = await openSse(`${t.url}${STREAM}${query}`, { authorization: `Bearer ${key}`, ...headers });
    open.push(client);
    if (client.status === 200) await client.waitForComment(/^connected$/);
    return client;
  }

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    caller = await newCaller(t);
  });
  afterAll(async () => {
    for (const client of open) client.close();
    await t?.close();
  });

  it('sends each new event with its id, its type and exactly its webhook body, in commit order', async () => {
    const client = await stream();
    expect(client.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const first = await simulate(t.app, caller.agency.id, 'review.created');
    const second = await simulate(t.app, caller.agency.id, 'lead.converted');
    const messages = await client.waitForMessages(2);
    expect(messages.map((m) => [m.id, m.event])).toEqual([
      [first.event_id, 'review.created'],
      [second.event_id, 'lead.converted'],
    ]);
    for (const message of messages) {
      const row = await t.ctx.db.selectFrom('events').selectAll().where('id', '=', message.id!).executeTakeFirstOrThrow();
      expect(message.data).toBe(buildEventPayload(row));
    }
  });

  it('streams only the agency\'s own events, of the types asked for', async () => {
    const other = await newCaller(t);
    const leadsOnly = await stream('?types=lead.converted,sync.failed');
    await simulate(t.app, other.agency.id, 'lead.converted');
    await simulate(t.app, caller.agency.id, 'review.created');
    const lead = await simulate(t.app, caller.agency.id, 'lead.converted');
    const [message] = await leadsOnly.waitForMessages(1);
    expect(message!.id).toBe(lead.event_id);
    expect(leadsOnly.messages).toHaveLength(1);
  });

  it('resumes after Last-Event-ID with what it missed, then goes live, with no gap and no repeat', async () => {
    const first = await stream('?types=review.created');
    const a = await simulate(t.app, caller.agency.id, 'review.created');
    await first.waitForMessages(1);
    first.close();
    const missed = [await simulate(t.app, caller.agency.id, 'review.created'), await simulate(t.app, caller.agency.id, 'review.created')];

    const resumed = await stream('?types=review.created', { 'last-event-id': a.event_id });
    const live = await simulate(t.app, caller.agency.id, 'review.created');
    const messages = await resumed.waitForMessages(3);
    expect(messages.map((m) => m.id)).toEqual([...missed.map((e) => e.event_id), live.event_id]);

    // The query parameter does the same for clients that cannot set headers.
    const byQuery = await stream(`?types=review.created&last_event_id=${a.event_id}`);
    expect((await byQuery.waitForMessages(3)).map((m) => m.id)).toEqual(messages.map((m) => m.id));
  });

  it.skipIf(!usingPostgres())('never skips an event whose transaction commits after a later one (commit order)', async () => {
    const client = await stream('?types=review.created');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let lateId = '';
    // A slow transaction takes its event id (and the clock) first, then commits last.
    const slow = t.ctx.db.transaction().execute(async (trx) => {
      const row = await appendEvent(trx, { agencyId: caller.agency.id, type: 'review.created', data: { id: 'rev_late' }, at: new Date() });
      lateId = row.id;
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const quick = await simulate(t.app, caller.agency.id, 'review.created');
    expect(lateId < quick.event_id).toBe(true);
    release();
    await slow;
    const messages = await client.waitForMessages(2);
    expect(messages.map((m) => m.id)).toEqual([lateId, quick.event_id]);
  });

  it('holds one LISTEN connection per process however many streams are open', async () => {
    const clients = await Promise.all([stream(), stream(), stream()]);
    expect(clients.every((c) => c.status === 200)).toBe(true);
    if (!usingPostgres()) return; // PGlite has no connections to count; its listen is in-process
    const { rows } = await sql<{ count: number }>`select count(*)::int as count from pg_stat_activity where datname = current_database() and query ilike 'LISTEN "faro_events"'`.execute(t.ctx.db);
    expect(rows[0]!.count).toBe(1);
  });

  it('refuses before the stream starts, with a problem, for every auth error and bad request', async () => {
    const inject = (query: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url: `${STREAM}${query}`, headers });
    const bearer = { authorization: `Bearer ${caller.key}` };
    expectProblem(await inject('', {}), 401, 'missing_credentials');
    expectProblem(await inject('', { authorization: 'Bearer faro_live_nope' }), 401, 'malformed_api_key');
    const noEvents = await createApiKey(t.app, caller.agency.id, { scopes: ['reviews:read'] });
    expectProblem(await inject('', noEvents.headers), 403, 'insufficient_scope');
    const noLeads = await createApiKey(t.app, caller.agency.id, { scopes: ['events:read', 'reviews:read'] });
    const fenced = expectProblem(await inject('?types=lead.converted', noLeads.headers), 403, 'insufficient_scope');
    expect(fenced).toMatchObject({ required_scope: 'leads:read' });
    const unknown = expectProblem(await inject('?types=review.created,review.deleted', bearer), 400, 'validation_failed');
    expect(unknown.errors).toEqual([{ path: 'query.types', message: expect.stringContaining('"review.deleted" is not an event type') }]);
    expectProblem(await inject('', { ...bearer, 'last-event-id': 'evt_01jd5q7h3kd5f7h9k1m3n5q7s9' }), 400, 'validation_failed');
    expectProblem(await inject('?since=now', bearer), 400, 'validation_failed');
    const enterprise = await newCaller(t, 'enterprise');
    const limited = await createApiKey(t.app, enterprise.agency.id, { scopes: ['events:read'], rate_limit: 1 });
    await inject('?types=bogus', limited.headers);
    expectProblem(await inject('', limited.headers), 429, 'rate_limited');
  });

  it('a stream without a resource scope leaves those events out', async () => {
    const reviewsOnly = await createApiKey(t.app, caller.agency.id, { scopes: ['events:read', 'reviews:read'] });
    const client = await stream('', {}, reviewsOnly.key);
    await simulate(t.app, caller.agency.id, 'lead.converted');
    const review = await simulate(t.app, caller.agency.id, 'review.created');
    const [message] = await client.waitForMessages(1);
    expect(message!.id).toBe(review.event_id);
  });

  it('closing the app ends open streams with a last comment instead of waiting for clients', async () => {
    const own = await createTestApp({ listen: true });
    const agencyCaller = await newCaller(own);
    const client = await openSse(`${own.url}${STREAM}`, { authorization: `Bearer ${agencyCaller.key}` });
    await client.waitForComment(/^connected$/);
    await own.close();
    await client.waitForComment(/shutting down/);
    expect(client.ended || client.comments.length > 0).toBe(true);
  }, 120_000); // a second app on a fresh database: its setup outran 30 s on the loaded machine
});
