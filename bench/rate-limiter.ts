// `npm run bench:limiter`: what one rate-limit check costs Redis, the script before the O(1)
// rework against the current one in the same run, for a fresh key and for a key whose window is
// full (61 buckets: a key used for an hour), and the limiter with and without ioredis
// auto-pipelining. Redis time per check comes from INFO commandstats (the script's usec per call)
// and INFO cpu (the whole server's CPU per check, network I/O included). By default the bench
// starts a redis-server of its own, so no other client's commands are counted; BENCH_REDIS_URL
// points it at another one. Prints the tables and records them in docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisRateLimiter } from '../src/domains/api/redis-rate-limiter.ts';
import { RATE_LIMIT_SCRIPT } from '../src/domains/api/redis-rate-limit-scripts.ts';
import { startOwnRedis } from '../test/support/redis-server.ts';
import { machineDescription, writeBenchmarkSection } from './report.ts';

const CHECKS = Number(process.env.BENCH_CHECKS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IN_FLIGHT = 32;
const WINDOW_MS = 3_600_000;
const BUCKET_MS = WINDOW_MS / 60;
const START = Date.UTC(2026, 0, 5, 9);

/** The script as it was before the O(1) rework (HGETALL of every bucket), kept here only to compare. */
const OLD_SCRIPT = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local current = math.floor(now * 60 / window)
local stored = redis.call('HGET', key, 'w')
if stored and tonumber(stored) ~= window then
  if cost == 0 then
    return { 0 }
  end
  redis.call('DEL', key)
end
local flat = redis.call('HGETALL', key)
local used = 0
local counted = {}
local stale = {}
for i = 1, #flat, 2 do
  local index = tonumber(flat[i])
  if index then
    if index < current - 60 or index > current + 60 then
      stale[#stale + 1] = flat[i]
    else
      local count = tonumber(flat[i + 1])
      used = used + count
      counted[index] = count
    end
  end
end
if #stale > 0 then
  redis.call('HDEL', key, unpack(stale))
end
local allowed = 0
if cost > 0 and used < limit then
  allowed = 1
  counted[current] = redis.call('HINCRBY', key, string.format('%d', current), 1)
  redis.call('HSET', key, 'w', ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window * 62 / 60))
end
local out = { allowed }
for index, count in pairs(counted) do
  out[#out + 1] = index
  out[#out + 1] = count
end
return out
`;

type Check = (key: string, nowMs: number, windowMs: number, limit: number, cost: number) => Promise<unknown>;
interface ScriptClient extends Redis {
  oldCheck: Check;
  newCheck: Check;
}

const own = process.env.BENCH_REDIS_URL ? undefined : await startOwnRedis();
const url = process.env.BENCH_REDIS_URL ?? (own?.url as string);
const prefix = `faro:bench:rl:${randomBytes(4).toString('hex')}:`;
const admin = new Redis(url);
const client = new Redis(url) as ScriptClient;
client.defineCommand('oldCheck', { numberOfKeys: 1, lua: OLD_SCRIPT });
client.defineCommand('newCheck', { numberOfKeys: 1, lua: RATE_LIMIT_SCRIPT });

interface Counters { calls: number; usec: number; cpuUs: number }
async function counters(): Promise<Counters> {
  const text = (await admin.info('commandstats')) + (await admin.info('cpu'));
  const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(text);
  const cpu = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  return { calls: Number(evalsha?.[1] ?? 0), usec: Number(evalsha?.[2] ?? 0), cpuUs: (cpu('used_cpu_user') + cpu('used_cpu_sys')) * 1e6 };
}

/** `n` calls, `inFlight` at a time, issued in order of `i` (so a key's clock never goes back). */
async function drive(n: number, inFlight: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) await call(next++);
  }));
  return (performance.now() - started) / 1000;
}

interface Sample { scriptUs: number; redisCpuUs: number; nodeCpuUs: number; perSecond: number }
async function measure(n: number, inFlight: number, call: (i: number) => Promise<unknown>): Promise<Sample> {
  const before = await counters();
  const cpuBefore = process.cpuUsage();
  const seconds = await drive(n, inFlight, call);
  const cpu = process.cpuUsage(cpuBefore);
  const after = await counters();
  return {
    scriptUs: (after.usec - before.usec) / Math.max(1, after.calls - before.calls),
    redisCpuUs: (after.cpuUs - before.cpuUs) / n,
    nodeCpuUs: (cpu.user + cpu.system) / n,
    perSecond: n / seconds,
  };
}

/** Ten requests at the end of each of 61 one-minute buckets: at START + 60 min, all 61 count. */
async function fillWindow(check: Check, key: string): Promise<void> {
  for (let bucket = 0; bucket <= 60; bucket += 1) {
    for (let i = 0; i < 10; i += 1) await check(key, START + bucket * BUCKET_MS + BUCKET_MS - 1, WINDOW_MS, 1e9, 1);
  }
}

const scripts = { before: client.oldCheck.bind(client), now: client.newCheck.bind(client) };
const scenarios: { name: string; run: (check: Check, tag: string) => Promise<Sample> }[] = [
  {
    name: 'fresh key (its first check)',
    run: (check, tag) => measure(CHECKS, IN_FLIGHT, (i) => check(`${prefix}{fresh:${tag}:${i}}`, START, WINDOW_MS, 1000, 1)),
  },
  {
    name: 'full window (61 buckets), admitted, clock moving 1 s per check',
    run: async (check, tag) => {
      const key = `${prefix}{full:${tag}}`;
      await fillWindow(check, key);
      return measure(CHECKS, IN_FLIGHT, (i) => check(key, START + 60 * BUCKET_MS + i * 1000, WINDOW_MS, 1e9, 1));
    },
  },
  {
    name: 'full window (61 buckets), at its limit: refused',
    run: async (check, tag) => {
      const key = `${prefix}{limit:${tag}}`;
      await fillWindow(check, key);
      return measure(CHECKS, IN_FLIGHT, () => check(key, START + 60 * BUCKET_MS + 30_000, WINDOW_MS, 610, 1));
    },
  },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
function summary(samples: Sample[]): Sample {
  return {
    scriptUs: median(samples.map((s) => s.scriptUs)),
    redisCpuUs: median(samples.map((s) => s.redisCpuUs)),
    nodeCpuUs: median(samples.map((s) => s.nodeCpuUs)),
    perSecond: median(samples.map((s) => s.perSecond)),
  };
}

async function limiterRound(autoPipelining: boolean, round: number): Promise<Sample> {
  const limiter = createRedisRateLimiter({ url, keyPrefix: `${prefix}lim:${round}:${autoPipelining}:`, autoPipelining });
  try {
    await limiter.consume('warm-up', 10, 3600);
    return await measure(CHECKS, 64, (i) => limiter.consume(`key-${i % 100}`, 1e9, 3600));
  } finally {
    await limiter.close();
  }
}

try {
  const scriptRows: string[] = [];
  for (const scenario of scenarios) {
    const samples: Record<keyof typeof scripts, Sample[]> = { before: [], now: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of ['before', 'now'] as const) samples[name].push(await scenario.run(scripts[name], `${name}:${round}`));
    }
    const [b, n] = [summary(samples.before), summary(samples.now)];
    scriptRows.push(
      `| ${scenario.name} | ${b.scriptUs.toFixed(1)} | **${n.scriptUs.toFixed(1)}** | ${b.redisCpuUs.toFixed(1)} | **${n.redisCpuUs.toFixed(1)}** | ${b.perSecond.toFixed(0)} | ${n.perSecond.toFixed(0)} |`,
    );
  }
  const pipelined: Record<'off' | 'on', Sample[]> = { off: [], on: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    pipelined.off.push(await limiterRound(false, round));
    pipelined.on.push(await limiterRound(true, round));
  }
  const pipelineRows = (['off', 'on'] as const).map((mode) => {
    const s = summary(pipelined[mode]);
    return `| ${mode} | ${s.perSecond.toFixed(0)} | ${s.scriptUs.toFixed(1)} | ${s.redisCpuUs.toFixed(1)} | ${s.nodeCpuUs.toFixed(1)} |`;
  });
  const body = [
    `${CHECKS.toLocaleString('en')} checks per measurement, ${IN_FLIGHT} in flight on one connection, medians of ${ROUNDS} alternating rounds; ` +
      `${own ? 'a redis-server of the bench’s own' : 'the Redis at BENCH_REDIS_URL'} (${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}) on the same machine.`,
    '',
    '| check | script µs/call, before | script µs/call, now | Redis CPU µs/check, before | Redis CPU µs/check, now | checks/s, before | checks/s, now |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...scriptRows,
    '',
    `The limiter itself (\`createRedisRateLimiter\`, current script), ${CHECKS.toLocaleString('en')} consumes over 100 keys, 64 in flight, with ioredis auto-pipelining off and on:`,
    '',
    '| auto-pipelining | checks/s | script µs/call | Redis CPU µs/check | Node CPU µs/check |',
    '|---|---:|---:|---:|---:|',
    ...pipelineRows,
  ].join('\n');
  console.log(`\n${machineDescription()}\n\n${body}\n`);
  writeBenchmarkSection('bench:limiter', body);
} finally {
  client.disconnect();
  if (own) {
    admin.disconnect();
    await own.stop();
  } else {
    const keys = await admin.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await admin.del(...keys.slice(i, i + 500));
    await admin.quit();
  }
}
