// The composition root's wiring, in a real `node src/cli/start.ts` process: FARO_METRICS_PORT
// opens the metrics listener beside the app, and the public port never serves them.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpProcesses, freePort, startProcess, stopProcess, tempDataDir, waitReady } from '../core/service-process.ts';
import { parseMetrics, valueOf } from './scrape.ts';

afterEach(cleanUpProcesses);

describe('metrics in the started service', () => {
  it('serves /metrics on FARO_METRICS_PORT only, names it in the banner, and stops it on SIGTERM', async () => {
    const metricsPort = await freePort();
    const service = await startProcess({ dataDir: tempDataDir(), env: { FARO_METRICS_PORT: String(metricsPort) } });
    await waitReady(service);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    expect(service.stdout()).toContain(`Metrics:        ${metricsUrl}`);

    const samples = parseMetrics(await (await fetch(metricsUrl)).text());
    expect(valueOf(samples, 'faro_http_requests_total', { method: 'GET', route: '/readyz', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'faro_database_up')).toBe(1);
    expect(valueOf(samples, 'faro_rate_limiter_backend', { backend: 'memory' })).toBe(1);
    expect(valueOf(samples, 'faro_database_pool_total')).toBe(1);

    const publicAnswer = await fetch(`${service.url}/metrics`, { headers: { accept: 'application/json' } });
    expect(publicAnswer.status).toBe(404);
    expect(publicAnswer.headers.get('content-type')).toContain('application/problem+json');

    expect(await stopProcess(service)).toEqual({ code: 0, signal: null });
    await expect(fetch(metricsUrl)).rejects.toThrow();
  }, 120_000);

  it('refuses to start with the metrics on the public port', async () => {
    const port = await freePort();
    const service = await startProcess({ dataDir: tempDataDir(), port, env: { FARO_METRICS_PORT: String(port) } });
    expect((await service.exited).code).toBe(1);
    expect(service.stderr()).toContain('FARO_METRICS_PORT must differ from PORT');
  }, 60_000);
});
