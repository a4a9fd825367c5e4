import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookSender, type WebhookSender } from './sender.ts';
import type { ResolveHost } from './ssrf.ts';
import { fakeDns } from '../../../../test/support/fake-dns.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/support/webhook-receiver.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A local server that answers "reached"; any connection it counts means the guard failed. */
async function startTarget(): Promise<WebhookReceiver> {
  const target = await startWebhookReceiver({ answer: () => ({ status: 200, body: 'reached' }) });
  cleanups.push(() => target.close());
  return target;
}

function sender(allowPrivate: boolean, resolve?: ResolveHost): WebhookSender {
  const created = createWebhookSender({ allowPrivate, resolve });
  cleanups.push(() => created.close());
  return created;
}

const post = (s: WebhookSender, url: string) => s.send({ url, headers: { 'content-type': 'application/json' }, body: '{}' });

describe('sender SSRF guard at connect time (allowPrivate = false)', () => {
  it.each([
    (port: number) => `https://127.0.0.1:${port}/`,
    (port: number) => `https://2130706433:${port}/`,
    (port: number) => `https://0x7f.1:${port}/`,
    (port: number) => `https://[::ffff:127.0.0.1]:${port}/`,
  ])('blocks the loopback literal %#, and no connection reaches the server', async (makeUrl) => {
    const target = await startTarget();
    const outcome = await post(sender(false), makeUrl(target.port));
    expect(outcome).toMatchObject({ ok: false, statusCode: null, errorKind: 'ssrf_blocked' });
    expect(outcome.errorMessage).toMatch(/loopback/);
    expect(target.connections).toBe(0);
  });

  it('blocks a hostname that resolves to loopback at send time (DNS rebinding)', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'rebind.example.com': ['127.0.0.1'] });
    const outcome = await post(sender(false, dns), `https://rebind.example.com:${target.port}/`);
    // The message lands in the agency's delivery log: it says what, never which internal address.
    expect(outcome).toMatchObject({
      ok: false,
      errorKind: 'ssrf_blocked',
      errorMessage: 'rebind.example.com resolves to a private or internal address',
    });
    expect(outcome.errorMessage).not.toContain('127.0.0.1');
    expect(dns.calls).toEqual(['rebind.example.com']);
    expect(target.connections).toBe(0);
  });

  it('blocks a hostname when any of its addresses is private', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'mixed.example.com': ['93.184.215.14', '127.0.0.1'] });
    const outcome = await post(sender(false, dns), `https://mixed.example.com:${target.port}/`);
    expect(outcome).toMatchObject({ errorKind: 'ssrf_blocked', errorMessage: 'mixed.example.com resolves to a private or internal address' });
    expect(outcome.errorMessage).not.toMatch(/127\.0\.0\.1|93\.184\.215\.14/);
    expect(target.connections).toBe(0);
  });

  it('refuses plain http before connecting', async () => {
    const target = await startTarget();
    const outcome = await post(sender(false), `http://127.0.0.1:${target.port}/`);
    expect(outcome).toMatchObject({ errorKind: 'ssrf_blocked', errorMessage: 'URL must use https' });
    expect(target.connections).toBe(0);
  });

  it('reports dns when the hostname does not resolve', async () => {
    const outcome = await post(sender(false, fakeDns({})), 'https://nowhere.example.com/');
    expect(outcome).toMatchObject({ ok: false, errorKind: 'dns', errorMessage: expect.stringMatching(/ENOTFOUND/) });
  });
});

describe('sender with allowPrivate = true (dev and tests)', () => {
  it('connects to the address the resolver vetted', async () => {
    const target = await startTarget();
    const dns = fakeDns({ 'receiver.test': ['127.0.0.1'] });
    const outcome = await post(sender(true, dns), `http://receiver.test:${target.port}/`);
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, responseBodyExcerpt: 'reached' });
    expect(dns.calls).toEqual(['receiver.test']);
    expect(target.connections).toBe(1);
  });

  it('reaches a loopback literal', async () => {
    const target = await startTarget();
    expect(await post(sender(true), `http://127.0.0.1:${target.port}/`)).toMatchObject({ ok: true });
  });
});
