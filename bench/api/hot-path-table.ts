// The table `npm run bench:api` prints for the hot path, with its ratios against their targets.
import { summarise, type Sample } from './load.ts';
import { median } from './paired-rounds.ts';
import type { HotPathResult, HotPathSetup, VariantId } from './hot-path.ts';

const int = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 0 });
const ms = (value: number) => value.toFixed(2);
const us = (value: number | null) => (value === null ? 'n/a' : value.toFixed(0));

export interface Ratio {
  value: number;
  target: number | null;
  met: boolean | null;
}

export function hotPathTable(setup: HotPathSetup, result: HotPathResult): { markdown: string; ratios: Partial<Record<string, Ratio>> } {
  const rounds = (id: VariantId) => result.samples.get(id);
  /** Median over rounds of the ratio within each round: drift between rounds cancels out. Absent when a variant did not run. */
  const within = (of: VariantId, to: VariantId, compare: (a: Sample, b: Sample) => number) => {
    const a = rounds(of);
    const b = rounds(to);
    return a && b ? median(a.map((sample, i) => compare(sample, b[i]!))) : undefined;
  };
  const ratio = (of: VariantId, to: VariantId, target: number | null): Ratio | undefined => {
    const value = within(of, to, (a, b) => a.rps / b.rps);
    return value === undefined ? undefined : { value, target, met: target === null ? null : value >= target };
  };
  const p99Added = (of: VariantId, to: VariantId, target: number | null): Ratio | undefined => {
    const value = within(of, to, (a, b) => a.p99 - b.p99);
    return value === undefined ? undefined : { value, target, met: target === null ? null : value <= target };
  };

  const ratios = {
    listKey: ratio('list-key', 'list-open', 0.9),
    getKey: ratio('get-key', 'get-open', 0.85),
    getKeyFull: ratio('get-key-full', 'get-open', 0.85),
    unrecorded: ratio('get-key-unrecorded', 'get-open-unrecorded', 0.85),
    recording: ratio('get-key', 'get-key-unrecorded', null),
    keyVsPeer: ratio('get-key', 'peer-limited', 1.0),
    fullVsPeer: ratio('get-key-full', 'peer-limited', 1.0),
    logged: ratio('get-key-logged', 'get-key', null),
    peerLimited: ratio('peer-limited', 'peer', null),
    steadyP99Added: p99Added('steady-key', 'steady-open', 1),
    saturatedP99Added: p99Added('get-key', 'get-open', null),
  };

  const mark = (r: Ratio) => (r.met === null ? '' : r.met ? ' ✓' : ' ✗');
  const compared = (r: Ratio | undefined, text: (r: Ratio) => string) => (r ? `${text(r)}${mark(r)}` : undefined);
  const times = (to: string, target?: string) => (r: Ratio) => `${r.value.toFixed(2)}× ${to}${target ? ` (${target})` : ''}`;
  const row = (endpoint: string, variant: string, id: VariantId, ...comparisons: (string | undefined)[]) => {
    const list = rounds(id);
    if (!list) return undefined;
    const s = summarise(list);
    const perRound = list.map((r) => int(r.rps)).join(' / ');
    const comparison = comparisons.filter(Boolean).join('; ');
    return `| ${endpoint} | ${variant} | ${int(s.rps)} (${perRound}) | ${ms(s.p50)} | ${ms(s.p99)} | ${us(s.serverCpuUs)} | ${us(s.postgresCpuUs)} | ${s.redisUs.toFixed(1)} | ${s.bad} | ${comparison} |`;
  };
  const list = 'GET /api/v1/reviews?limit=25';
  const get = 'GET /api/v1/locations/:id';
  const peer = 'peer: GET /locations/:id';
  const steady = `${get} at a steady ${int(setup.steadyRate)} req/s`;
  const full = result.fullWindowCounts;
  const lines = [
    '| endpoint | variant | req/s (rounds) | p50 ms | p99 ms | server CPU µs/req | Postgres CPU µs/req | Redis script µs/req | errors + non-2xx | ratio (target) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    row(list, 'no auth, no rate limit', 'list-open'),
    row(list, 'API key + rate limit', 'list-key', compared(ratios.listKey, times('no auth', '≥ 0.90'))),
    row(get, 'no auth, no rate limit', 'get-open'),
    row(get, 'API key + rate limit, fresh key', 'get-key', compared(ratios.getKey, times('no auth', '≥ 0.85')), compared(ratios.keyVsPeer, times('peer + rate limit', '≥ 1.0'))),
    row(get, 'API key + rate limit, full-window key', 'get-key-full', compared(ratios.getKeyFull, times('no auth', '≥ 0.85')), compared(ratios.fullVsPeer, times('peer + rate limit', '≥ 1.0'))),
    row(get, 'no auth, no rate limit (the recording-off server)', 'get-open-unrecorded'),
    row(get, 'API key + rate limit, recording off', 'get-key-unrecorded', compared(ratios.unrecorded, times('no auth on the same server', '≥ 0.85'))),
    row(get, 'API key + rate limit, production logger', 'get-key-logged', compared(ratios.logged, times('logging silenced'))),
    row(peer, 'minimal Fastify + pg, same query', 'peer'),
    row(peer, '+ cached key lookup + @fastify/rate-limit (Redis)', 'peer-limited', compared(ratios.peerLimited, times('the peer without'))),
    row(steady, 'no auth, no rate limit', 'steady-open'),
    row(steady, 'API key + rate limit, fresh key', 'steady-key', compared(ratios.steadyP99Added, (r) => `p99 +${ms(r.value)} ms (≤ 1 ms)`)),
  ].filter((line) => line !== undefined);
  const notes = [''];
  if (ratios.saturatedP99Added) {
    notes.push(`p99 added by auth + rate limit under saturation (${setup.connections} connections): ${ms(ratios.saturatedP99Added.value)} ms; there it is queueing, and follows the throughput ratio.`);
  }
  if (ratios.recording) {
    notes.push(`The fresh-key and full-window rows record usage and the request log (on by default; its own part below measures that cost): fresh key / recording off = ${ratios.recording.value.toFixed(2)}×.`);
  }
  if (full.length > 0) notes.push(`Each full-window key was given 5 requests in each of the last hour's 61 one-minute buckets just before its round; its window then held ${full.map(int).join(' / ')} requests.`);
  return { markdown: [...lines, ...notes].join('\n'), ratios };
}
