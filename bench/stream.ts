// `npm run bench:stream`: the event stream (GET /api/v1/events/stream) on PostgreSQL
// (BENCH_DATABASE_URL; a fresh database, dropped after), the service in a process of its own.
// - latency: event commit → receipt on one idle stream, for events committed one at a time;
// - 1,000 idle streams on one process: its RSS, heap and CPU with them open (against one stream);
// - fan-out: one event committed → received by all 1,000 streams.
// "Commit" is the moment the bench sends COMMIT for the transaction that appends the event, so a
// latency includes the commit itself. Prints a table and records it in docs/benchmarks.md.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendEvent } from '../src/domains/events/repository.ts';
import { writeBenchmarkSection } from './report.ts';
import { REVIEW, openBenchDatabases } from './webhooks/databases.ts';

const env = process.env;
const baseUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LATENCY_EVENTS = Number(env.BENCH_STREAM_EVENTS ?? 200);
const STREAMS = Number(env.BENCH_STREAMS ?? 1000);
const IDLE_S = Number(env.BENCH_STREAM_IDLE_S ?? 20);
const ADMIN = { authorization: 'Bearer bench-admin-token-0123456789abcdef', 'content-type': 'application/json' };

interface Usage { rss: number; heapUsed: number; cpu: { user: number; system: number }; streams: number }

function usage(server: ChildProcess): Promise<Usage> {
  return new Promise((resolve) => {
    const onMessage = (message: Usage & { type: string }) => {
      if (message.type !== 'usage') return;
      server.off('message', onMessage);
      resolve(message);
    };
    server.on('message', onMessage);
    server.send({ type: 'usage' });
  });
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** A raw SSE connection that records when each event id first arrived. */
function openStream(url: string, key: string, agent: http.Agent, onEvent: (id: string, at: number) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream: ${response.statusCode}`));
      response.setEncoding('utf8');
      let buffer = '';
      response.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        if (buffer.includes(': connected\n\n')) resolve(request);
        for (const match of buffer.matchAll(/^id: (evt_\w+)$/gm)) onEvent(match[1]!, at);
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      });
    });
    request.on('error', reject);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const databases = await openBenchDatabases(baseUrl);
const fresh = await databases.create('stream');
const server = fork(new URL('./stream-server.ts', import.meta.url), [fresh.url], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
try {
  const [{ url }] = (await once(server, 'message')) as [{ url: string }];
  const agency = await post(`${url}/admin/v1/agencies`, { name: 'Stream bench', tier: 'enterprise', admin_email: 'bench@stream.test', admin_password: 'bench-password-1', api_rate_limit: 1_000_000 });
  const key = String((await post(`${url}/admin/v1/agencies/${String(agency.id)}/api-keys`, { name: 'bench', scopes: ['events:read', 'reviews:read'] })).key);
  const streamUrl = `${url}/api/v1/events/stream?types=review.created`;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

  async function commitEvent(): Promise<{ id: string; committedAt: number }> {
    let committedAt = 0;
    const row = await fresh.database.db.transaction().execute(async (trx) => {
      const appended = await appendEvent(trx, { agencyId: String(agency.id), type: 'review.created', data: REVIEW, at: new Date() });
      committedAt = performance.now();
      return appended;
    });
    return { id: row.id, committedAt };
  }

  // Latency on one idle stream.
  const received = new Map<string, number[]>();
  const record = (id: string, at: number) => {
    const list = received.get(id);
    if (list) list.push(at);
    else received.set(id, [at]);
  };
  const single = await openStream(streamUrl, key, agent, record);
  await sleep(500);
  const oneStream = await usage(server);
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    const { id, committedAt } = await commitEvent();
    while (!received.has(id)) await sleep(1);
    latencies.push(received.get(id)![0]! - committedAt);
    await sleep(20); // idle: one event at a time, the stream quiet in between
  }
  latencies.sort((a, b) => a - b);

  // 1,000 idle streams on one process.
  const requests: http.ClientRequest[] = [single];
  for (let i = 1; i < STREAMS; i += 50) {
    requests.push(...(await Promise.all(Array.from({ length: Math.min(50, STREAMS - i) }, () => openStream(streamUrl, key, agent, record)))));
  }
  await sleep(2_000);
  const idleStart = await usage(server);
  const idleWallStart = performance.now();
  await sleep(IDLE_S * 1000);
  const idleEnd = await usage(server);
  const idleCpu = (idleEnd.cpu.user + idleEnd.cpu.system - idleStart.cpu.user - idleStart.cpu.system) / 1000 / (performance.now() - idleWallStart);

  // One event to all of them.
  const fanOut = await commitEvent();
  while ((received.get(fanOut.id)?.length ?? 0) < STREAMS) await sleep(1);
  const arrivals = received.get(fanOut.id)!.map((at) => at - fanOut.committedAt).sort((a, b) => a - b);

  for (const request of requests) request.destroy();
  const rows = [
    ['commit → receipt, one idle stream', `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1)!)} (${LATENCY_EVENTS} events, one at a time)`],
    ['server with 1 stream open', `RSS ${mib(oneStream.rss)}, heap ${mib(oneStream.heapUsed)}`],
    [`server with ${STREAMS} idle streams open`, `RSS ${mib(idleEnd.rss)}, heap ${mib(idleEnd.heapUsed)} (${idleEnd.streams} streams); ≈ ${((idleEnd.rss - oneStream.rss) / 1024 / (STREAMS - 1)).toFixed(1)} KiB RSS, ${((idleEnd.heapUsed - oneStream.heapUsed) / 1024 / (STREAMS - 1)).toFixed(1)} KiB heap per stream`],
    [`server CPU, ${STREAMS} idle streams`, `${(idleCpu * 100).toFixed(2)} % of one core over ${IDLE_S} s (heartbeats every 15 s)`],
    [`one event → all ${STREAMS} streams`, `first ${ms(arrivals[0]!)}, p50 ${ms(percentile(arrivals, 50))}, last ${ms(arrivals.at(-1)!)} after commit`],
  ];
  const table = ['| measure | result |', '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
  console.log(table);
  writeBenchmarkSection(
    'bench:stream',
    'The event stream on PostgreSQL, the service in its own process (one LISTEN and one commit-ordered cursor shared by all its streams); the bench commits events directly and reads the streams over real HTTP from another process. Memory is after a full GC in the server.\n\n' + table + '\n',
  );
} finally {
  server.kill('SIGTERM');
  await once(server, 'exit');
  await fresh.drop();
  await databases.dropAll();
  await databases.admin.end();
}
