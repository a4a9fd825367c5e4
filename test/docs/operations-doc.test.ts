/**
 * Keeps docs/operations.md and the Grafana dashboard honest: every metric their PromQL names is
 * one the service exports, and every metric the service exports is described in the doc.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase } from '../support/database.ts';
import type { Database } from '../../src/db/database.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createMemoryRateLimiter } from '../../src/domains/api/rate-limiter.ts';
import { createServiceMetrics } from '../../src/observability/metrics.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(root, 'docs/operations.md'), 'utf8');
const dashboard = JSON.parse(readFileSync(path.join(root, 'docs/grafana/faro-dashboard.json'), 'utf8')) as Dashboard;

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { query?: unknown; definition?: string }[] };
}

/** Series Prometheus itself makes for every target. */
const PROMETHEUS_SERIES = new Set(['up']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression (or a Grafana `label_values(metric, label)`) reads. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, legends)
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/label_values\(\s*([a-zA-Z_:][\w:]*)\s*,[^)]*\)/g, ' $1 ')
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || KEYWORDS.has(name!.toLowerCase())) continue; // a function or aggregation, or a keyword
    names.push(name!);
  }
  return names;
}

function dashboardExpressions(board: Dashboard): string[] {
  const walk = (panels: Panel[]): string[] => panels.flatMap((panel) => [...(panel.targets ?? []).map((t) => t.expr ?? ''), ...walk(panel.panels ?? [])]);
  const variables = board.templating.list.flatMap((variable) => {
    const query = typeof variable.query === 'object' && variable.query !== null ? (variable.query as { query?: string }).query : undefined;
    return query && query !== 'prometheus' ? [query] : [];
  });
  return [...walk(board.panels), ...variables].filter((expr) => expr !== '');
}

function alertExpressions(): string[] {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => parseYaml(match[1]!) as { groups?: { rules: { expr: string }[] }[] });
  return blocks.flatMap((block) => block.groups ?? []).flatMap((group) => group.rules.map((rule) => rule.expr));
}

describe('docs/operations.md and docs/grafana/faro-dashboard.json', () => {
  let database: Database;
  let exported: Set<string>;
  let families: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    const metrics = createServiceMetrics({ database, clock: systemClock, limiter: createMemoryRateLimiter({ clock: systemClock }) });
    const json = await metrics.registry.getMetricsAsJSON();
    families = json.map((metric) => metric.name);
    // The series names PromQL can select: a histogram is its _bucket, _sum and _count.
    exported = new Set(json.flatMap((metric) => (String(metric.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => metric.name + suffix) : String(metric.type) === 'summary' ? [metric.name, `${metric.name}_sum`, `${metric.name}_count`] : [metric.name])));
  });
  afterAll(async () => {
    await database?.close();
  });

  const unknownIn = (expressions: string[]) => expressions.flatMap(metricNamesIn).filter((name) => !exported.has(name) && !PROMETHEUS_SERIES.has(name));

  it('the dashboard queries only metrics the service exports', () => {
    const expressions = dashboardExpressions(dashboard);
    expect(expressions.length).toBeGreaterThan(15);
    expect(unknownIn(expressions)).toEqual([]);
    // Every panel shows something the service exports.
    expect(expressions.every((expr) => metricNamesIn(expr).length > 0)).toBe(true);
  });

  it('the alert rules use only metrics the service exports, and cover the four promised alerts', () => {
    const expressions = alertExpressions();
    expect(unknownIn(expressions)).toEqual([]);
    const named = new Set(expressions.flatMap(metricNamesIn));
    for (const metric of ['faro_webhook_queue_lag_seconds', 'faro_outbox_lag_seconds', 'faro_webhook_attempts_total', 'faro_rate_limiter_backend', 'faro_database_up']) {
      expect(named).toContain(metric);
    }
  });

  it('a made-up metric in a panel or a rule is caught', () => {
    const tampered: Dashboard = structuredClone(dashboard);
    tampered.panels.push({ title: 'made up', targets: [{ expr: 'sum by (route) (rate(faro_http_requests_made_up_total{route="/x"}[5m]))' }] });
    expect(unknownIn(dashboardExpressions(tampered))).toEqual(['faro_http_requests_made_up_total']);
    expect(unknownIn(['histogram_quantile(0.95, sum by (le) (rate(faro_http_request_duration_seconds[5m])))'])).toEqual(['faro_http_request_duration_seconds']);
    expect(unknownIn(['max(faro_queue_depth) > 10 and on(instance) http_requests_total'])).toEqual(['faro_queue_depth', 'http_requests_total']);
  });

  it('describes every faro_ metric the service exports', () => {
    const undocumented = families.filter((name) => name.startsWith('faro_') && !doc.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });

  it('keeps a "## Metrics" section (a later "## Tracing" goes beside it)', () => {
    expect(doc).toMatch(/^## Metrics$/m);
  });
});
