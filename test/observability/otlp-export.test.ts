import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpProcesses, freePort, startProcess, stopProcess, tempDataDir, waitReady } from '../core/service-process.ts';

/*
 * The service as `npm start` runs it, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real OTLP/HTTP
 * receiver: the SDK the composition root starts exports the request's span over http/protobuf
 * (flushed when the process stops), under the default service name or OTEL_SERVICE_NAME; a
 * collector that is not there costs the spans, never the process.
 */

interface Export {
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

const exports: Export[] = [];
let sink: http.Server;
let sinkUrl: string;

beforeAll(async () => {
  sink = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exports.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks) });
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
});

afterEach(cleanUpProcesses);
afterAll(() => new Promise<void>((resolve) => sink.close(() => resolve())));

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

async function tracedRequest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const service = await startProcess({ dataDir: tempDataDir(), env });
  await waitReady(service);
  const response = await fetch(`${service.url}/api/v1/locations`, { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } });
  expect(response.status).toBe(401);
  const { code } = await stopProcess(service);
  return { code, output: service.stdout() + service.stderr() };
}

describe('OTLP export from the running service', { timeout: 180_000 }, () => {
  it('exports the request span over http/protobuf, named by its route, in the caller\'s trace, as faro-integrations', async () => {
    exports.length = 0;
    const { code } = await tracedRequest({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl });
    expect(code).toBe(0);
    const traces = exports.filter((e) => e.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.contentType).toBe('application/x-protobuf');
    const body = Buffer.concat(traces.map((e) => e.body));
    expect(body.includes('faro-integrations')).toBe(true);
    expect(body.includes('GET /api/v1/locations')).toBe(true);
    expect(body.includes(Buffer.from(TRACE_ID, 'hex'))).toBe(true);
    // Only traces: no metrics or logs pipelines.
    expect(exports.every((e) => e.path === '/v1/traces')).toBe(true);
  });

  it('takes the service name from OTEL_SERVICE_NAME', async () => {
    exports.length = 0;
    const { code } = await tracedRequest({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_SERVICE_NAME: 'faro-eu-west' });
    expect(code).toBe(0);
    const body = Buffer.concat(exports.map((e) => e.body));
    expect(body.includes('faro-eu-west')).toBe(true);
    expect(body.includes('faro-integrations')).toBe(false);
  });

  it('stops cleanly when the collector is not there, saying the last spans were lost', async () => {
    const { code, output } = await tracedRequest({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(code).toBe(0);
    expect(output).toContain('TRACING: the last spans could not be exported');
  });

  it('exports nothing without an endpoint, or with OTEL_SDK_DISABLED=true', async () => {
    exports.length = 0;
    const { code } = await tracedRequest({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SERVICE_NAME: 'faro-untraced' });
    expect(code).toBe(0);
    const disabled = await tracedRequest({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_SDK_DISABLED: 'true' });
    expect(disabled.code).toBe(0);
    expect(exports).toEqual([]);
  });
});
