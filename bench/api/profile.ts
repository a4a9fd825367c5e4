// Where a server's CPU went: self time of a V8 CPU profile (`node --cpu-prof`, see BENCH_CPU_PROF
// in bench/api.ts) grouped by package (node_modules/<name>), by source file under src/, and by
// Node's own modules; with a request count, in µs per request.
// `node bench/api/profile.ts <file.cpuprofile> [--last=<seconds>] [--requests=<n>] [--rows=<n>] [--functions] [--wall-clock]`
// (--last: only the end of the profile, the measured round, leaving out start-up and warm-up)
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

/** Self time in µs per area (or per function and area), largest first. */
export function selfTime(profile: CpuProfile, options: { seconds?: number; byFunction?: boolean; wallClock?: boolean } = {}): [string, number][] {
  const totals = new Map<string, number>();
  const samples = samplesOf(profile, options.seconds);
  for (const [node, us] of options.wallClock ? samples : evenlyWeighed(samples)) {
    const area = areaOf(node.callFrame);
    const name = options.byFunction ? `${node.callFrame.functionName || '(anonymous)'} · ${area}` : area;
    totals.set(name, (totals.get(name) ?? 0) + us);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const file = args.find((arg) => !arg.startsWith('--'));
  if (!file) throw new Error('usage: node bench/api/profile.ts <file.cpuprofile> [--last=<seconds>] [--requests=<n>] [--rows=<n>] [--functions]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const requests = option('requests') ? Number(option('requests')) : null;
  const last = option('last');
  const areas = selfTime(profile, { seconds: last === undefined ? undefined : Number(last), byFunction: args.includes('--functions'), wallClock: args.includes('--wall-clock') });
  const busy = areas.filter(([area]) => area !== '(idle)').reduce((sum, [, us]) => sum + us, 0);
  console.log(`| ${args.includes('--functions') ? 'function · area' : 'area'} | self ms | share of busy |${requests ? ' µs/request |' : ''}`);
  console.log(`|---|---:|---:|${requests ? '---:|' : ''}`);
  for (const [area, us] of areas.slice(0, Number(option('rows') ?? 30))) {
    const share = area === '(idle)' ? '' : `${((us / busy) * 100).toFixed(1)} %`;
    console.log(`| ${area} | ${(us / 1000).toFixed(0)} | ${share} |${requests ? ` ${(us / requests).toFixed(1)} |` : ''}`);
  }
  console.log(`busy: ${(busy / 1000).toFixed(0)} ms${requests ? `, ${(busy / requests).toFixed(1)} µs/request` : ''}`);
}
