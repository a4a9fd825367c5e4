import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logSerializers, redactUrl } from '../../src/http/log-redaction.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createAgency } from '../support/fixtures.ts';
import { createApiKey } from '../support/api-keys.ts';
import { cleanUpProcesses, startProcess, stopProcess, tempDataDir, waitFor, waitReady } from './service-process.ts';

// Clients put credentials in URLs (`?access_token=faro_live_…`); the request log must not keep them.

interface LogLine {
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** A pino logger like the service's (same serializers) writing JSON lines to memory. */
function capturingLogger() {
  let output = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString();
      done();
    },
  });
  const logger = pino({ level: 'info', serializers: logSerializers }, stream) as FastifyBaseLogger;
  const lines = () => output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine);
  return { logger, output: () => output, lines };
}

const requestUrls = (lines: LogLine[]) => lines.filter((line) => line.msg === 'request completed').map((line) => line.req?.url);

describe('request log through the app', () => {
  const log = capturingLogger();
  let t: TestApp;
  let key: { id: string; key: string; headers: Record<string, string> };

  beforeAll(async () => {
    t = await createTestApp({ logger: log.logger, listen: true });
    const agency = await createAgency(t.app);
    key = await createApiKey(t.app, agency.id, { scopes: ['locations:read'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs the path of GET /api/v1/locations?access_token=faro_live_… but not the key', async () => {
    const response = await fetch(`${t.url}/api/v1/locations?access_token=${key.key}&limit=5`, { headers: key.headers });
    await response.body?.cancel();
    expect(requestUrls(log.lines())).toContain('/api/v1/locations?access_token=[redacted]&limit=5');
    expect(log.output()).not.toContain(key.key);
    expect(log.output()).not.toContain(key.key.slice(10, 30));
  });

  it('writes one line per request, when it is answered: method, redacted URL, status and time under the request id', async () => {
    const ok = await fetch(`${t.url}/api/v1/locations?limit=1`, { headers: key.headers });
    await ok.body?.cancel();
    const refused = await fetch(`${t.url}/api/v1/locations?limit=1`);
    await refused.body?.cancel();
    expect([ok.status, refused.status]).toEqual([200, 401]);
    const lines = log.lines();
    expect(lines.filter((line) => line.msg === 'incoming request')).toEqual([]);
    const okLines = lines.filter((line) => line.reqId === ok.headers.get('request-id'));
    expect(okLines).toEqual([expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ method: 'GET', url: '/api/v1/locations?limit=1' }), res: { statusCode: 200 } })]);
    expect(okLines[0]!.responseTime).toBeGreaterThan(0);
    // A refusal adds the line saying why; the request itself is still one line.
    const refusedLines = lines.filter((line) => line.reqId === refused.headers.get('request-id'));
    expect(refusedLines.filter((line) => line.msg === 'request completed')).toEqual([expect.objectContaining({ res: { statusCode: 401 } })]);
    expect(refusedLines).toHaveLength(2);
  });

  it.each([
    ['a credential-named parameter', (k: string) => `/api/v1/locations?limit=2&api_key=${k}`, '/api/v1/locations?limit=2&api_key=[redacted]'],
    ['any parameter holding a key', (k: string) => `/api/v1/locations?q=${k}`, '/api/v1/locations?q=[redacted]'],
    ['a key in the path', (k: string) => `/api/v1/locations/${k}`, '/api/v1/locations/[redacted]'],
    ['a percent-encoded key', (k: string) => `/api/v1/locations?q=${encodeURIComponent(k).replace('_', '%5F')}`, '/api/v1/locations?q=[redacted]'],
  ])('redacts %s', async (_case, makeUrl, logged) => {
    const response = await fetch(`${t.url}${makeUrl(key.key)}`, { headers: key.headers });
    await response.body?.cancel();
    expect(requestUrls(log.lines())).toContain(logged);
    expect(log.output()).not.toContain(key.key.slice(10, 30));
  });
});

describe('redactUrl', () => {
  it.each([
    ['/api/v1/locations?limit=5&cursor=abc', '/api/v1/locations?limit=5&cursor=abc'],
    ['/api/v1/locations', '/api/v1/locations'],
    ['/x?token=abc&Access-Token=def&password=p&client_secret=s&sig=1&signature=2', '/x?token=[redacted]&Access-Token=[redacted]&password=[redacted]&client_secret=[redacted]&sig=[redacted]&signature=[redacted]'],
    ['/x?key=k&apikey=k&X-Api-Key=k&auth=a&authorization=Bearer%20x', '/x?key=[redacted]&apikey=[redacted]&X-Api-Key=[redacted]&auth=[redacted]&authorization=[redacted]'],
    ['/x?secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw%2FCy0oX3vcYM%3D&ok=1', '/x?secret=[redacted]&ok=1'],
    ['/x?s=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/Cy0oX3vcYM=', '/x?s=[redacted]'],
    ['/hooks/whsec_abc/def==?ok=1', '/hooks/[redacted]?ok=1'],
    ['/x?faro_test_abcdef', '/x?[redacted]'],
    ['/x?token=', '/x?token='],
    ['/api/v1/locations/loc_01J0ABCDEF', '/api/v1/locations/loc_01J0ABCDEF'],
    ['/api/v1/reviews?limit=25&cursor=abc&session_id=s1', '/api/v1/reviews?limit=25&cursor=abc&session_id=[redacted]'],
    ['/x?flag&key=k&key', '/x?flag&key=[redacted]&key'],
    ['/x?q=a+b&token=t', '/x?q=a+b&token=[redacted]'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('the service process', () => {
  afterEach(cleanUpProcesses);

  it('keeps a key given in the query string out of its log (stdout)', async () => {
    const dataDir = tempDataDir();
    const service = await startProcess({ dataDir, env: { LOG_LEVEL: 'info' } });
    await waitReady(service);
    const admin = { authorization: `Bearer ${fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim()}`, 'content-type': 'application/json' };
    const agency = await (await fetch(`${service.url}/admin/v1/agencies`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'Log Co', tier: 'scale', admin_email: 'log@agency.test', admin_password: 'long-enough-pw' }),
    })).json() as { id: string };
    const created = await (await fetch(`${service.url}/admin/v1/agencies/${agency.id}/api-keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'In a URL', scopes: ['locations:read'] }),
    })).json() as { key: string };
    expect(created.key).toMatch(/^faro_live_/);

    // Whatever the API answers (it refuses unknown parameters), the request line is logged.
    const response = await fetch(`${service.url}/api/v1/locations?access_token=${created.key}`, { headers: { authorization: `Bearer ${created.key}` } });
    await response.body?.cancel();
    await waitFor(service, () => service.stdout().includes('/api/v1/locations?'));
    expect(await stopProcess(service)).toEqual({ code: 0, signal: null });
    expect(service.stdout()).toContain('"url":"/api/v1/locations?access_token=[redacted]"');
    expect(service.stdout()).not.toContain(created.key);
    expect(service.stdout()).not.toContain(created.key.slice(10, 30));
    expect(service.stderr()).not.toContain(created.key.slice(10, 30));
  }, 120_000);
});
