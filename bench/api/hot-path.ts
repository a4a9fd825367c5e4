// The hot path's variants, measured in rounds. Variants that are compared with each other form a
// group and run back to back; each round the groups take turns going first and each group runs
// in the opposite order from the round before, so slow drift in the machine's load (it is shared)
// falls on both sides of each ratio.
import type { Seeded } from './seed.ts';
import { measure, type Load, type Meters, type Sample, type Target } from './load.ts';
import type { Server } from './servers.ts';
import { fillWindow } from './full-window.ts';

export type VariantId =
  | 'list-open'
  | 'list-key'
  | 'get-open'
  | 'get-key'
  | 'get-key-full'
  | 'get-key-logged'
  | 'get-key-unrecorded'
  | 'get-open-unrecorded'
  | 'peer'
  | 'peer-limited'
  | 'steady-open'
  | 'steady-key';

/** Run back to back: the ratios compare variants inside a group. */
const GROUPS: VariantId[][] = [
  ['list-open', 'list-key'],
  ['get-open', 'get-key', 'get-key-full', 'get-key-unrecorded', 'get-open-unrecorded', 'peer-limited', 'peer', 'get-key-logged'],
  ['steady-open', 'steady-key'],
];

interface Variant {
  id: VariantId;
  target(round: number): Target;
  load: Load;
  /** Runs before each measured round of this variant (not timed). */
  before?(round: number): Promise<void>;
}

export interface HotPathSetup {
  seeded: Seeded;
  /** Silent logger; serves /api/v1 and the guard-less /bench-noauth/v1. */
  faro: Server;
  faroPrefix: string;
  /** Same app with the production logger. */
  faroLogged: Server;
  /** Same app, silent, with usage and request-log recording off (FARO_USAGE_RECORDING=off). */
  faroUnrecorded: Server;
  peer: Server;
  redisUrl: string;
  meters: Meters;
  duration: number;
  rounds: number;
  connections: number;
  steadyRate: number;
  /** Lines the production logger has written so far. */
  loggedLines(): number;
  /** Run only these variants (profiling, quick checks); all when unset. */
  only?: VariantId[];
}

export interface HotPathResult {
  samples: Map<VariantId, Sample[]>;
  /** Requests counted in each full-window key's window when its round started. */
  fullWindowCounts: number[];
  /** Log lines the production logger wrote per request, over its measured rounds. */
  logLinesPerRequest: number;
}

function variants(setup: HotPathSetup, fullWindowCounts: number[]): Variant[] {
  const { seeded, faro, faroLogged, faroUnrecorded, peer, connections } = setup;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const saturating: Load = { duration: setup.duration, connections };
  const steady: Load = { duration: setup.duration, connections: 10, rate: setup.steadyRate };
  const get = (server: Server, prefix: string, headers: Record<string, string> = {}) => ({
    url: `${server.url}${prefix}/locations/${seeded.locationId}`,
    headers,
    serverPid: server.pid,
  });
  const list = (prefix: string, headers: Record<string, string> = {}) => ({ url: `${faro.url}${prefix}/reviews?limit=25`, headers, serverPid: faro.pid });
  return [
    { id: 'list-open', target: () => list('/bench-noauth/v1'), load: saturating },
    { id: 'list-key', target: () => list('/api/v1', bearer(seeded.freshKey.key)), load: saturating },
    { id: 'get-open', target: () => get(faro, '/bench-noauth/v1'), load: saturating },
    { id: 'get-key', target: () => get(faro, '/api/v1', bearer(seeded.freshKey.key)), load: saturating },
    {
      id: 'get-key-full',
      target: (round) => get(faro, '/api/v1', bearer(seeded.fullWindowKeys[round]!.key)),
      load: saturating,
      async before(round) {
        fullWindowCounts[round] = await fillWindow({ redisUrl: setup.redisUrl, keyPrefix: setup.faroPrefix, keyId: seeded.fullWindowKeys[round]!.id });
      },
    },
    { id: 'get-key-logged', target: () => get(faroLogged, '/api/v1', bearer(seeded.freshKey.key)), load: saturating },
    { id: 'get-key-unrecorded', target: () => get(faroUnrecorded, '/api/v1', bearer(seeded.freshKey.key)), load: saturating },
    { id: 'get-open-unrecorded', target: () => get(faroUnrecorded, '/bench-noauth/v1'), load: saturating },
    { id: 'peer', target: () => get(peer, ''), load: saturating },
    { id: 'peer-limited', target: () => get(peer, '/limited', bearer(seeded.freshKey.key)), load: saturating },
    { id: 'steady-open', target: () => get(faro, '/bench-noauth/v1'), load: steady },
    { id: 'steady-key', target: () => get(faro, '/api/v1', bearer(seeded.freshKey.key)), load: steady },
  ];
}

export async function runHotPath(setup: HotPathSetup, log: (line: string) => void): Promise<HotPathResult> {
  const fullWindowCounts: number[] = [];
  const every = variants(setup, fullWindowCounts);
  const all = setup.only ? every.filter((v) => setup.only!.includes(v.id)) : every;
  // Warm-up: JIT, connection pools, key caches, prepared statements. The full-window variant
  // warms up on a key of its own so that its measured keys start with exactly one filled window.
  for (const variant of all) {
    const target = variant.id === 'get-key-full' ? every.find((v) => v.id === 'get-key')!.target(0) : variant.target(0);
    await measure(target, { ...variant.load, duration: Math.min(3, setup.duration) }, setup.meters);
  }
  const samples = new Map<VariantId, Sample[]>(all.map((v) => [v.id, []]));
  if (all.length === 0) throw new Error(`BENCH_ONLY names no variant; the variants are ${every.map((v) => v.id).join(', ')}`);
  let logLines = 0;
  for (let round = 0; round < setup.rounds; round++) {
    const groups = GROUPS.map((ids) => all.filter((v) => ids.includes(v.id))).filter((group) => group.length > 0);
    const turn = round % groups.length;
    const order = [...groups.slice(turn), ...groups.slice(0, turn)].flatMap((group) => (round % 2 === 0 ? group : [...group].reverse()));
    for (const variant of order) {
      await variant.before?.(round);
      const linesBefore = setup.loggedLines();
      const sample = await measure(variant.target(round), variant.load, setup.meters);
      if (variant.id === 'get-key-logged') logLines += setup.loggedLines() - linesBefore;
      samples.get(variant.id)!.push(sample);
      log(`round ${round + 1}/${setup.rounds} ${variant.id.padEnd(15)} ${sample.rps.toFixed(0).padStart(6)} req/s  p99 ${sample.p99.toFixed(2)} ms  server ${sample.serverCpuUs.toFixed(0)} µs/req  redis ${sample.redisUs.toFixed(1)} µs/req  bad ${sample.bad}`);
    }
  }
  const loggedRequests = (samples.get('get-key-logged') ?? []).reduce((n, s) => n + s.requests, 0);
  return { samples, fullWindowCounts, logLinesPerRequest: logLines / Math.max(1, loggedRequests) };
}
