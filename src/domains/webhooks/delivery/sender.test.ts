import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookSender, type WebhookSender } from './sender.ts';
import { startWebhookReceiver, type Answer, type ReceivedRequest, type ReceiverOptions, type WebhookReceiver } from '../../../../test/support/webhook-receiver.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real receiver on 127.0.0.1, closed after the test, that answers every request as told. */
async function startReceiver(answer: (request: ReceivedRequest) => Answer, tls?: ReceiverOptions['tls']): Promise<WebhookReceiver> {
  const receiver = await startWebhookReceiver({ answer, ...(tls ? { tls } : {}) });
  cleanups.push(() => receiver.close());
  return receiver;
}

function sender(options: Partial<Parameters<typeof createWebhookSender>[0]> = {}): WebhookSender {
  const created = createWebhookSender({ allowPrivate: true, ...options });
  cleanups.push(() => created.close());
  return created;
}

const post = (s: WebhookSender, url: string) =>
  s.send({ url, headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' }, body: '{"hello":"wörld"}' });

describe('createWebhookSender against real local servers', () => {
  it('posts the body and headers as given, and reports a 2xx as ok', async () => {
    const receiver = await startReceiver(() => ({ status: 200, headers: { 'x-receiver': 'yes' }, body: 'thanks' }));
    const outcome = await post(sender(), `${receiver.url}/hooks/faro?x=1`);

    expect(outcome).toMatchObject({
      ok: true, statusCode: 200, responseBodyExcerpt: 'thanks', retryAfterSeconds: null, errorKind: null, errorMessage: null,
    });
    expect(outcome.responseHeaders).toMatchObject({ 'x-receiver': 'yes', 'content-length': '6' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ method: 'POST', path: '/hooks/faro?x=1', body: '{"hello":"wörld"}' });
    expect(receiver.requests[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'evt_1' });
  });

  it('keeps the connection alive between sends to the same origin', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const s = sender();
    for (let i = 0; i < 5; i++) expect((await post(s, `${receiver.url}/`)).ok).toBe(true);
    // undici may open a second socket when the next request is dispatched in the same tick
    // the first response ends on a brand-new connection; after that, sockets are reused.
    expect(receiver.connections).toBeLessThanOrEqual(2);
  });

  it('reports a 500 as http_status with the body excerpt', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'boom' }));
    expect(await post(sender(), receiver.url)).toMatchObject({
      ok: false, statusCode: 500, responseBodyExcerpt: 'boom', errorKind: 'http_status', errorMessage: 'HTTP 500',
    });
  });

  it('does not follow a redirect: a 301 is an ordinary failure', async () => {
    const receiver = await startReceiver((request) =>
      request.path === '/moved' ? { status: 301, headers: { location: '/elsewhere' }, body: '' } : { status: 200, body: 'should not be reached' },
    );
    const outcome = await post(sender(), `${receiver.url}/moved`);
    expect(outcome).toMatchObject({ ok: false, statusCode: 301, errorKind: 'http_status' });
    expect(outcome.errorMessage).toMatch(/redirects are not followed/);
    expect(outcome.responseHeaders?.location).toBe('/elsewhere');
    expect(receiver.requests.map((r) => r.path)).toEqual(['/moved']);
  });

  it('reports timeout when the server never answers', async () => {
    const receiver = await startReceiver(() => 'hang');
    expect(await post(sender({ timeoutMs: 200 }), receiver.url)).toMatchObject({
      ok: false, statusCode: null, errorKind: 'timeout',
    });
  });

  it('keeps a 2xx whose body never finishes, with the part that arrived', async () => {
    const receiver = await startReceiver(() => ({ status: 202, body: 'partial', unfinished: true }));
    expect(await post(sender({ timeoutMs: 300 }), receiver.url)).toMatchObject({
      ok: true, statusCode: 202, responseBodyExcerpt: 'partial', errorKind: null,
      errorMessage: 'The response body did not finish within the attempt deadline after 7 bytes; the 2xx status line counts as success.',
    });
  });

  it('keeps a 2xx whose body is cut off by a closed connection, and says so', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'half', unfinished: true }));
    const outcome = post(sender({ timeoutMs: 10_000 }), receiver.url);
    await receiver.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await receiver.close();
    expect(await outcome).toMatchObject({
      ok: true, statusCode: 200, responseBodyExcerpt: 'half', errorKind: null,
      errorMessage: 'The response body was cut off (the connection closed) after 4 bytes; the 2xx status line counts as success.',
    });
  });

  it('cuts off a response dripping its body, at the one deadline that covers headers and body', async () => {
    const receiver = await startReceiver(() => ({ status: 500, body: 'x', unfinished: true }));
    expect(await post(sender({ timeoutMs: 300 }), receiver.url)).toMatchObject({
      ok: false, statusCode: 500, errorKind: 'http_status',
      errorMessage: 'HTTP 500; the response body did not finish within the attempt deadline after 1 bytes.',
    });
  });

  it('reports connection when the port refuses connections', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    await receiver.close(); // keep its port number
    expect(await post(sender(), receiver.url)).toMatchObject({
      ok: false, statusCode: null, errorKind: 'connection', errorMessage: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('keeps only the first 4 KiB of a 10 KiB body, and the next send still works', async () => {
    const big = 'a'.repeat(4096) + 'b'.repeat(10 * 1024 - 4096);
    const receiver = await startReceiver(() => ({ status: 200, body: big }));
    const s = sender();
    const outcome = await post(s, receiver.url);
    expect(outcome.ok).toBe(true);
    expect(outcome.responseBodyExcerpt).toBe('a'.repeat(4096));
    expect((await post(s, receiver.url)).responseBodyExcerpt).toHaveLength(4096);
  });

  it('honours a smaller maxBodyBytes', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: '0123456789' }));
    expect((await post(sender({ maxBodyBytes: 4 }), receiver.url)).responseBodyExcerpt).toBe('0123');
  });

  it('parses Retry-After in seconds', async () => {
    const receiver = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '120' }, body: '' }));
    expect(await post(sender(), receiver.url)).toMatchObject({ statusCode: 429, retryAfterSeconds: 120, errorKind: 'http_status' });
  });

  it('parses Retry-After as an HTTP-date', async () => {
    const at = new Date(Date.now() + 3_600_000).toUTCString();
    const receiver = await startReceiver(() => ({ status: 503, headers: { 'retry-after': at }, body: '' }));
    const { retryAfterSeconds } = await post(sender(), receiver.url);
    expect(retryAfterSeconds).toBeGreaterThan(3_500);
    expect(retryAfterSeconds).toBeLessThanOrEqual(3_600);
  });

  it('reports tls when the server does not speak TLS', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'plain' }));
    const outcome = await post(sender(), receiver.url.replace('http:', 'https:'));
    expect(outcome).toMatchObject({ ok: false, statusCode: null, errorKind: 'tls' });
    expect(outcome.errorMessage).not.toMatch(/\n$/);
  });

  const hasOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasOpenssl)('reports tls for a self-signed certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faro-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    const receiver = await startReceiver(() => ({ status: 200, body: 'secure' }), tls);
    const outcome = await post(sender(), receiver.url);
    expect(outcome).toMatchObject({ ok: false, errorKind: 'tls', errorMessage: expect.stringMatching(/self.signed/i) });
    expect(receiver.requests).toHaveLength(0);
  });
});
