// Reading /metrics as Prometheus would: over HTTP from the metrics listener, parsed into samples.
import { startMetricsServer, type MetricsServer } from '../../src/observability/metrics-server.ts';
import type { TestApp } from '../support/app.ts';

/** Metrics on, their listener on an ephemeral port of 127.0.0.1. */
export const METRICS_ENV = { FARO_METRICS_PORT: '0' };

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format (0.0.4): one sample per line; `# HELP`/`# TYPE` lines skipped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export interface Scraper {
  url: string;
  scrape(): Promise<Sample[]>;
  /** The value of the one sample with this name and these labels (0 when there is none yet). */
  value(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

/** The app's metrics served on their own listener, and a scraper of it. */
export async function scraperOf(t: TestApp): Promise<Scraper> {
  if (!t.ctx.metrics) throw new Error('metrics are off in this app (set FARO_METRICS_PORT)');
  const server: MetricsServer = await startMetricsServer(t.ctx.metrics.registry, { port: 0, host: '127.0.0.1' });
  async function scrape(): Promise<Sample[]> {
    const response = await fetch(server.url);
    if (response.status !== 200) throw new Error(`scrape answered ${response.status}`);
    return parseMetrics(await response.text());
  }
  return {
    url: server.url,
    scrape,
    async value(name, labels) {
      return valueOf(await scrape(), name, labels);
    },
    close: () => server.close(),
  };
}
