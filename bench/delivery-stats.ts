// `npm run bench:stats`: what the endpoint charts cost on Postgres. Seeds one subscription with
// 100,000 deliveries over 7 days (an attempt each, a second one for the 10 % that failed first)
// among ten times as many of 50 other subscriptions, then times both chart queries over 24 h and 7 d and
// prints their plans (EXPLAIN ANALYZE, BUFFERS), so the index each one uses is on the record.
// Then what the delivery engine writes per delivery (WAL records and bytes), with the charts'
// indexes and without them, since every index and column that serves the charts is paid for there.
// BENCH_DATABASE_URL names the server (default: the local one); the bench makes and drops a
// database of its own. Prints the tables and records them in docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql, type Kysely, type Transaction } from 'kysely';
import { openPostgres } from '../src/db/database.ts';
import { migrate } from '../src/db/migrator.ts';
import type { DB } from '../src/db/types.ts';
import { newId } from '../src/lib/ids.ts';
import { attemptLatencyPerHourQuery, deliveriesPerHourQuery } from '../src/domains/webhooks/delivery-stats-repository.ts';
import {
  claimDueDeliveries, insertFanOut, promoteDueDeliveries, recordAttempts, type ClaimedDelivery, type Release,
} from '../src/domains/webhooks/delivery/queue-repository.ts';
import { machineDescription, writeBenchmarkSection } from './report.ts';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 100_000);
const OTHER_SUBSCRIPTIONS = 50;
/** One delivery in SHARE is the measured subscription's; the rest go to the others, interleaved in time as on a live table. */
const SHARE = 11;
const OTHER_DELIVERIES = TARGET_DELIVERIES * (SHARE - 1);
const RUNS = 7;
const HOUR = 3600_000;
const NOW = new Date('2026-03-09T12:30:00.000Z');
const BATCH = 5000;
const WRITE_DELIVERIES = 2000;
/** Deliveries per engine statement, as a busy worker batches them. */
const WRITE_BATCH = 100;
const LEASE_MS = 5000;

function databaseUrl(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

interface WalCost {
  records: number;
  bytes: number;
  btreeRecords: number;
  btreeBytes: number;
}

/**
 * The WAL the delivery engine writes for WRITE_DELIVERIES deliveries of an agency and subscription
 * of their own, through its own statements, as a worker makes them: fan-out, claim, attempt
 * recorded; one in ten fails first, and is promoted when its retry is due, claimed again and
 * recorded. Only these transactions' WAL counts (pg_walinspect, by transaction id), so other
 * sessions on the server do not blur it; full-page images are left out, as they depend on when
 * the last checkpoint was. Lease renewals are not made (attempts shorter than a quarter lease).
 */
async function engineWal(db: Kysely<DB>, at: Date): Promise<WalCost> {
  const agencyId = newId('agy', at);
  const subscriptionId = newId('whsub', at);
  await db.insertInto('agencies').values({ id: agencyId, name: 'Bench writes', tier: 'scale', api_rate_limit: null, max_api_keys: null, updated_at: at }).execute();
  await db.insertInto('webhook_subscriptions').values({ id: subscriptionId, agency_id: agencyId, url: 'https://hooks.example.com/w', events: '["*"]', secret_sealed: 'x', updated_at: at }).execute();
  const xids: string[] = [];
  const step = <T>(run: (trx: Transaction<DB>) => Promise<T>) =>
    db.transaction().execute(async (trx) => {
      xids.push((await sql<{ xid: string }>`select (txid_current() % 4294967296)::text as xid`.execute(trx)).rows[0]!.xid);
      return run(trx);
    });
  const claim = (trx: Transaction<DB>, now: Date) => claimDueDeliveries(trx, {
    workerId: 'bench', now, leaseUntil: new Date(now.getTime() + LEASE_MS), limit: WRITE_BATCH,
    subscriptionAllowances: new Map(), agencyAllowances: new Map(), subscriptionDefault: WRITE_BATCH, agencyDefault: WRITE_BATCH,
  });
  const record = (trx: Transaction<DB>, claimed: ClaimedDelivery[], now: Date, fails: (i: number) => boolean) => {
    const startedAt = new Date(now.getTime() - 120);
    const attempts = claimed.map((d, i) => ({
      deliveryId: d.id, agencyId: d.agency_id, subscriptionId: d.subscription_id, isTest: d.is_test, attemptNumber: d.attempts, startedAt, durationMs: 120,
      requestHeaders: {
        'content-type': 'application/json', 'user-agent': 'FARO-Webhooks/1', 'webhook-id': d.event_id ?? d.id,
        'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)), 'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
      },
      responseStatus: fails(i) ? 500 : 200, responseHeaders: { 'content-type': 'text/plain', 'content-length': '2' }, responseBodyExcerpt: 'ok',
      errorKind: fails(i) ? ('http_status' as const) : null, errorMessage: fails(i) ? 'HTTP 500' : null,
    }));
    const releases: Release[] = claimed.map((d, i) => ({
      id: d.id, workerId: 'bench', attempts: d.attempts, now,
      result: fails(i)
        ? { status: 'pending', nextAttemptAt: new Date(now.getTime() + 5000), lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null }
        : { status: 'succeeded', nextAttemptAt: null, lastStatusCode: 200, lastError: null, deliveredAt: now },
    }));
    return recordAttempts(trx, attempts, releases);
  };

  const lsn = async () => (await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(db)).rows[0]!.lsn;
  const start = await lsn();
  for (let batch = 0; batch < WRITE_DELIVERIES; batch += WRITE_BATCH) {
    const now = new Date(at.getTime() + batch * 1000);
    const events = Array.from({ length: WRITE_BATCH }, () => ({ id: newId('evt', now), payload: '{"type":"review.created","data":{}}' }));
    await db.insertInto('events').values(events.map((e) => ({ id: e.id, agency_id: agencyId, type: 'review.created', data: '{}', created_at: now }))).execute();
    await step((trx) => insertFanOut(trx, events, now));
    const claimed = await step((trx) => claim(trx, now));
    await step((trx) => record(trx, claimed, new Date(now.getTime() + 150), (i) => i % 10 === 0));
    const retryAt = new Date(now.getTime() + 10_000);
    await step((trx) => promoteDueDeliveries(trx, retryAt, LEASE_MS));
    const retried = await step((trx) => claim(trx, retryAt));
    await step((trx) => record(trx, retried, new Date(retryAt.getTime() + 150), () => false));
  }
  const end = await lsn();
  await sql`CREATE EXTENSION IF NOT EXISTS pg_walinspect`.execute(db);
  const wal = await sql<{ btree: boolean; records: string; bytes: string }>`
    select resource_manager = 'Btree' as btree, count(*) as records, sum(record_length - fpi_length) as bytes
      from pg_get_wal_records_info(${start}::pg_lsn, ${end}::pg_lsn)
     where xid::text = any(${xids}::text[])
     group by 1`.execute(db);
  const sum = (pick: (row: (typeof wal.rows)[number]) => boolean, field: 'records' | 'bytes') =>
    wal.rows.filter(pick).reduce((total, row) => total + Number(row[field]), 0) / WRITE_DELIVERIES;
  return {
    records: sum(() => true, 'records'), bytes: sum(() => true, 'bytes'),
    btreeRecords: sum((row) => row.btree, 'records'), btreeBytes: sum((row) => row.btree, 'bytes'),
  };
}

const name = `faro_bench_stats_${randomBytes(4).toString('hex')}`;
await admin((client) => client.query(`CREATE DATABASE ${name}`));
const database = await openPostgres(databaseUrl(name), 4);
try {
  const { db } = database;
  await migrate(db);
  const agencyId = newId('agy', NOW);
  await db.insertInto('agencies').values({ id: agencyId, name: 'Bench', tier: 'scale', api_rate_limit: null, max_api_keys: null, updated_at: NOW }).execute();
  const subscriptions = Array.from({ length: OTHER_SUBSCRIPTIONS + 1 }, () => newId('whsub', NOW));
  const target = subscriptions[0]!;
  for (const id of subscriptions) {
    await db.insertInto('webhook_subscriptions').values({ id, agency_id: agencyId, url: 'https://hooks.example.com/x', events: '["*"]', secret_sealed: 'x', updated_at: NOW }).execute();
  }

  // Spread evenly over the 7 days before NOW; statuses as a busy endpoint leaves them.
  async function seed(subscriptionFor: (i: number) => string, count: number): Promise<void> {
    const span = 7 * 24 * HOUR;
    for (let start = 0; start < count; start += BATCH) {
      const deliveries: unknown[][] = [[], [], [], [], [], []];
      const attempts: unknown[][] = [[], [], [], [], [], []];
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const createdAt = new Date(NOW.getTime() - span + Math.floor((i / count) * span));
        const id = newId('whdel', createdAt);
        const roll = i % 20;
        const status = roll === 0 ? 'failed' : roll === 1 ? 'pending' : 'succeeded';
        deliveries[0]!.push(id); deliveries[1]!.push(subscriptionFor(i)); deliveries[2]!.push(status);
        deliveries[3]!.push(status === 'succeeded' ? null : 'HTTP 500'); deliveries[4]!.push(createdAt.toISOString()); deliveries[5]!.push(roll < 2 ? 2 : 1);
        for (let n = 1; n <= (roll < 2 ? 2 : 1); n++) {
          attempts[0]!.push(newId('whatt', createdAt)); attempts[1]!.push(id); attempts[2]!.push(n);
          attempts[3]!.push(new Date(createdAt.getTime() + (n - 1) * 5000).toISOString()); attempts[4]!.push(50 + ((i * 37 + n * 11) % 900)); attempts[5]!.push(subscriptionFor(i));
        }
      }
      await sql`
        INSERT INTO webhook_deliveries (id, agency_id, subscription_id, event_type, payload, status, last_error, created_at, updated_at, attempts)
        SELECT d.id, ${agencyId}, d.sub, 'review.created', '{}', d.status, d.err, d.at, d.at, d.n
          FROM unnest(${deliveries[0]}::text[], ${deliveries[1]}::text[], ${deliveries[2]}::text[], ${deliveries[3]}::text[], ${deliveries[4]}::timestamptz[], ${deliveries[5]}::int[])
            AS d(id, sub, status, err, at, n)`.execute(db);
      await sql`
        INSERT INTO webhook_delivery_attempts (id, delivery_id, agency_id, subscription_id, is_test, attempt_number, started_at, duration_ms, request_headers)
        SELECT a.id, a.delivery, ${agencyId}, a.sub, false, a.n, a.at, a.ms, '{}'
          FROM unnest(${attempts[0]}::text[], ${attempts[1]}::text[], ${attempts[2]}::int[], ${attempts[3]}::timestamptz[], ${attempts[4]}::int[], ${attempts[5]}::text[])
            AS a(id, delivery, n, at, ms, sub)`.execute(db);
    }
  }
  const seeding = performance.now();
  await seed((i) => (i % SHARE === 0 ? target : subscriptions[1 + (i % OTHER_SUBSCRIPTIONS)]!), TARGET_DELIVERIES * SHARE);
  // As autovacuum leaves them (the bench server may run without it): statistics, and the
  // visibility map that index-only scans rely on.
  await sql`VACUUM ANALYZE`.execute(db);
  console.log(`seeded ${TARGET_DELIVERIES + OTHER_DELIVERIES} deliveries in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const lastHour = Math.floor(NOW.getTime() / HOUR);
  const rangeOf = (hours: number) => ({ from: new Date((lastHour - hours + 1) * HOUR), to: new Date((lastHour + 1) * HOUR) });
  const queries = {
    'deliveries per hour': deliveriesPerHourQuery,
    'attempt latency per hour': attemptLatencyPerHourQuery,
  };
  const rows: string[] = [];
  const plans: string[] = [];
  for (const [label, hours] of [['24 h', 24], ['7 d', 168]] as const) {
    const { from, to } = rangeOf(hours);
    for (const [query, build] of Object.entries(queries)) {
      const compiled = build(agencyId, target, from, to).compile(db);
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        await db.executeQuery(compiled);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const plan = await db.executeQuery<{ 'QUERY PLAN': string }>({ ...compiled, sql: `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${compiled.sql}` });
      const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      const indexes = [...new Set([...text.matchAll(/(?:Scan using|Index Scan on) (\w+)/g)].map((m) => m[1]))].join(', ') || 'none (sequential scan)';
      // The top node's line: every page the whole plan touched.
      const buffers = /Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?/.exec(text);
      rows.push(`| ${query} | ${label} | ${times[Math.floor(RUNS / 2)]!.toFixed(1)} | ${times[0]!.toFixed(1)} | ${buffers ? Number(buffers[1] ?? 0) + Number(buffers[2] ?? 0) : '?'} | ${indexes} |`);
      plans.push(`${query}, ${label}:\n${text}`);
    }
  }
  // The same writes again without the charts' indexes (the bench's database is dropped after), so
  // their share is the difference of two measurements of the same statements.
  const wal = await engineWal(db, new Date(NOW.getTime() + 2 * HOUR));
  await sql`DROP INDEX webhook_deliveries_stats_idx, webhook_delivery_attempts_stats_idx`.execute(db);
  const without = await engineWal(db, new Date(NOW.getTime() + 4 * HOUR));
  const walRow = (label: string, cost: WalCost) =>
    `| ${label} | ${cost.records.toFixed(2)} | ${cost.bytes.toFixed(0)} | ${cost.btreeRecords.toFixed(2)} | ${cost.btreeBytes.toFixed(0)} |`;
  const share = (field: 'records' | 'bytes') => `${(wal[field] - without[field]).toFixed(field === 'records' ? 2 : 0)} (+${((wal[field] / without[field] - 1) * 100).toFixed(1)} %)`;
  const writes = [
    `The delivery engine's writes, through its own statements: ${WRITE_DELIVERIES.toLocaleString('en')} deliveries (fan-out, claim, attempt recorded; one in ten fails first and is retried once), ${WRITE_BATCH} per statement. ` +
      'WAL of those transactions only (pg_walinspect, by transaction id), without full-page images. ' +
      `The charts' two indexes cost ${share('records')} WAL records and ${share('bytes')} bytes per delivery.`,
    '',
    '| schema | WAL records per delivery | WAL bytes per delivery | of which B-tree records | B-tree bytes |',
    '|---|---:|---:|---:|---:|',
    walRow('as migrated', wal),
    walRow('without webhook_deliveries_stats_idx, webhook_delivery_attempts_stats_idx', without),
  ].join('\n');
  const table = [
    `One subscription with ${TARGET_DELIVERIES.toLocaleString('en')} deliveries over 7 days (${Math.round(TARGET_DELIVERIES * 1.1).toLocaleString('en')} attempts), among ${OTHER_DELIVERIES.toLocaleString('en')} deliveries of ${OTHER_SUBSCRIPTIONS} other subscriptions; PostgreSQL (shared_buffers as configured, pages mostly from the OS cache), ${RUNS} runs each.`,
    '',
    '| query | range | median ms | best ms | buffers (8 KiB pages) | indexes used |',
    '|---|---|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
  console.log(`\n${machineDescription()}\n\n${table}\n\n${writes}\n`);
  for (const plan of plans) console.log(`${plan}\n`);
  writeBenchmarkSection('bench:stats', `${table}\n\n${writes}\n\nPlans (EXPLAIN ANALYZE, 7 d):\n\n\`\`\`text\n${plans.filter((plan) => plan.includes('7 d')).join('\n\n')}\n\`\`\`\n`);
} finally {
  await database.close();
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
