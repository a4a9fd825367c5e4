// Where a server's CPU went, from a V8 CPU profile (`node --cpu-prof`, see BENCH_CPU_PROF in
// bench/api.ts). By default each sample counts for the component that owns it: the innermost
// frame on its stack that belongs to one (the rate limiter, the logger, helmet, Kysely, pg, …), so
// a socket write made for a Redis command counts for the rate limiter. --areas: self time by
// package, source file or Node module instead; --functions: by function. With --requests, in µs
// per request. --last=<s>: only the profile's last seconds (the measured round, without start-up
// and warm-up).
// `node bench/api/profile.ts <file.cpuprofile> [--last=<s>] [--requests=<n>] [--rows=<n>] [--areas|--functions] [--wall-clock]`
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Components, tried innermost frame first; a frame's URL (or native function name) is matched. */
const COMPONENTS: [string, RegExp][] = [
  ['rate limiter (limiter + ioredis)', /ioredis|redis-rate-limiter|rate-limiter\.ts|silence-watch|circuit-breaker|denque|redis-parser|@fastify\/rate-limit/],
  ['logging (pino, redaction)', /node_modules\/(pino|@pinojs|sonic-boom|fast-redact|safe-stable-stringify)|log-redaction|request-log/],
  ['security headers', /helmet|security-headers/],
  ['API key auth + guard', /public-api\.ts|key-auth\.ts|key-format\.ts|rate-limit-policy\.ts|entitlements\.ts|peer-server\.ts/],
  ['Kysely (build, compile, execute)', /kysely/],
  ['pg driver', /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+)\/|prepared-client/],
  ['response serialisation', /fast-json-stringify|src\/lib\/schema|schemas\.ts/],
  ['request validation (ajv)', /ajv|validation\.ts/],
  ['request id', /request-id|trace-context/],
  ['route handlers and services', /\/src\//],
  ['Fastify (hooks, reply, router)', /node_modules\/(fastify|find-my-way|light-my-request|@fastify\/cookie)/],
  ['Node HTTP', /^node:(internal\/)?_?http/],
];

/** The profile's samples as [node, µs] from the last `seconds` before it ended (all when unset). */
function samplesOf(profile: CpuProfile, seconds?: number): [ProfileNode, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let at = 0;
  const timed = profile.samples.map((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    return { node: byId.get(id)!, at, us: profile.timeDeltas[i] ?? 0 };
  });
  const from = seconds === undefined ? Number.NEGATIVE_INFINITY : at - seconds * 1e6;
  return timed.filter((s) => s.at >= from).map((s) => [s.node, s.us]);
}

/**
 * Each sample weighed by the median interval instead of its own: on a machine with more runnable
 * processes than cores, a descheduled thread's wait lands on the sample it resumes in (often a
 * socket write that woke the process it writes to), and would read as time spent there.
 */
function evenlyWeighed(samples: [ProfileNode, number][]): [ProfileNode, number][] {
  const intervals = samples.map(([, us]) => us).sort((a, b) => a - b);
  const typical = intervals[Math.floor(intervals.length / 2)] ?? 0;
  return samples.map(([node]) => [node, typical]);
}

/** What a frame is counted under: a package, a file of ours, a Node module, or V8's own buckets. */
export function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inModules) return inModules[1]!;
  const ours = /\/((?:src|bench)\/.*)$/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  return url;
}

function componentOf(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  const { functionName } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(garbage collector)' || functionName === '(program)') return functionName;
  for (let at: ProfileNode | undefined = node; at; at = parents.get(at.id)) {
    const found = COMPONENTS.find(([, pattern]) => pattern.test(at!.callFrame.url));
    if (found) return found[0];
  }
  return 'other (event loop, sockets, timers)';
}

export type Grouping = 'components' | 'areas' | 'functions';

/** µs per group, largest first. */
export function cpuBy(profile: CpuProfile, grouping: Grouping, options: { seconds?: number; wallClock?: boolean } = {}): [string, number][] {
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  const totals = new Map<string, number>();
  const samples = samplesOf(profile, options.seconds);
  for (const [node, us] of options.wallClock ? samples : evenlyWeighed(samples)) {
    const area = areaOf(node.callFrame);
    const name = grouping === 'components' ? componentOf(node, parents) : grouping === 'functions' ? `${node.callFrame.functionName || '(anonymous)'} · ${area}` : area;
    totals.set(name, (totals.get(name) ?? 0) + us);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/**
 * The share of busy time spent in, or below, frames whose source matches `pattern`: a sample counts
 * when any frame on its stack matches, so what that code calls (Node's buffers, a socket write) is
 * counted too.
 */
export function inclusiveShare(profile: CpuProfile, pattern: RegExp): { us: number; busyUs: number } {
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  let us = 0;
  let busyUs = 0;
  for (const [node, weight] of evenlyWeighed(samplesOf(profile))) {
    if (node.callFrame.functionName === '(idle)') continue;
    busyUs += weight;
    for (let at: ProfileNode | undefined = node; at; at = parents.get(at.id)) {
      if (pattern.test(at.callFrame.url)) {
        us += weight;
        break;
      }
    }
  }
  return { us, busyUs };
}

export const readProfile = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: node bench/api/profile.ts <file.cpuprofile> [--last=<s>] [--requests=<n>] [--rows=<n>] [--areas|--functions] [--wall-clock]');
  const profile = readProfile(file);
  const requests = option('requests') ? Number(option('requests')) : null;
  const last = option('last');
  const grouping: Grouping = args.includes('--functions') ? 'functions' : args.includes('--areas') ? 'areas' : 'components';
  const groups = cpuBy(profile, grouping, { seconds: last === undefined ? undefined : Number(last), wallClock: args.includes('--wall-clock') });
  const busy = groups.filter(([name]) => name !== '(idle)').reduce((sum, [, us]) => sum + us, 0);
  console.log(`| ${grouping} | ms | share of busy |${requests ? ' µs/request |' : ''}`);
  console.log(`|---|---:|---:|${requests ? '---:|' : ''}`);
  for (const [name, us] of groups.slice(0, Number(option('rows') ?? 30))) {
    const share = name === '(idle)' ? '' : `${((us / busy) * 100).toFixed(1)} %`;
    console.log(`| ${name} | ${(us / 1000).toFixed(0)} | ${share} |${requests ? ` ${(us / requests).toFixed(1)} |` : ''}`);
  }
  console.log(`busy: ${(busy / 1000).toFixed(0)} ms${requests ? `, ${(busy / requests).toFixed(1)} µs/request` : ''}`);
}
