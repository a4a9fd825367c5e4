import { describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_URL_LENGTH, checkUrlAtCreate, parseWebhookUrl } from './ssrf.ts';
import { fakeDns } from '../../../../test/support/fake-dns.ts';

const strict = { allowPrivate: false };
const dev = { allowPrivate: true };

describe('parseWebhookUrl', () => {
  it('accepts an https URL and gives its host', () => {
    const result = parseWebhookUrl('https://hooks.example.com:8443/faro?x=1', strict);
    expect(result).toMatchObject({ ok: true, host: 'hooks.example.com' });
    if (result.ok) expect(result.url.href).toBe('https://hooks.example.com:8443/faro?x=1');
  });

  it('strips IPv6 brackets from the host', () => {
    expect(parseWebhookUrl('https://[2606:4700::1]/', strict)).toMatchObject({ ok: true, host: '2606:4700::1' });
  });

  it('requires https unless private targets are allowed', () => {
    expect(parseWebhookUrl('http://hooks.example.com/', strict)).toEqual({ ok: false, reason: 'URL must use https' });
    expect(parseWebhookUrl('http://hooks.example.com/', dev)).toMatchObject({ ok: true });
  });

  it.each(['http://localhost:8080/', 'http://app.localhost/', 'http://127.0.0.1:8080/', 'http://[::1]:8080/', 'http://10.1.2.3/'])(
    'marks plain http to the local target %s as local, so the refusal can say what to do',
    (url) => {
      expect(parseWebhookUrl(url, strict)).toEqual({ ok: false, reason: 'URL must use https', local: true });
    },
  );

  it.each(['ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://example.com/', 'ws://example.com/'])(
    'refuses the scheme of %s even in dev',
    (url) => {
      expect(parseWebhookUrl(url, dev)).toEqual({ ok: false, reason: 'URL must use https' });
    },
  );

  it.each(['https://user:pass@example.com/', 'https://user@example.com/', 'https://:pass@example.com/'])(
    'refuses credentials in %s',
    (url) => {
      expect(parseWebhookUrl(url, strict)).toEqual({ ok: false, reason: 'URL must not contain credentials' });
    },
  );

  it.each(['', '   ', 'not a url', '/relative/path', 'https://', 'https://exa mple.com/', 'https://[::1/'])(
    'refuses the malformed %j',
    (url) => {
      expect(parseWebhookUrl(url, strict).ok).toBe(false);
    },
  );

  it('limits the length to 2048 characters', () => {
    const base = 'https://example.com/';
    expect(parseWebhookUrl(base + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - base.length), strict).ok).toBe(true);
    expect(parseWebhookUrl(base + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - base.length + 1), strict)).toEqual({
      ok: false,
      reason: 'URL is longer than 2048 characters',
    });
  });
});

describe('checkUrlAtCreate with hostnames', () => {
  it('accepts a hostname whose addresses are all public, and returns them', async () => {
    const resolve = fakeDns({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    expect(await checkUrlAtCreate('https://hooks.example.com/x', { ...strict, resolve })).toMatchObject({
      ok: true,
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    expect(resolve.calls).toEqual(['hooks.example.com']);
  });

  it('refuses a hostname that resolves to a private address, without naming the address', async () => {
    const resolve = fakeDns({ 'internal.example.com': ['10.0.0.5'] });
    const result = await checkUrlAtCreate('https://internal.example.com/', { ...strict, resolve });
    expect(result).toEqual({ ok: false, reason: 'internal.example.com resolves to a private or internal address', local: true });
    expect(JSON.stringify(result)).not.toContain('10.0.0.5');
  });

  it('refuses when ANY resolved address is blocked, naming none of them', async () => {
    const resolve = fakeDns({ 'mixed.example.com': ['8.8.8.8', '2606:4700::1', '169.254.169.254'] });
    const result = await checkUrlAtCreate('https://mixed.example.com/', { ...strict, resolve });
    expect(result).toEqual({ ok: false, reason: 'mixed.example.com resolves to a private or internal address', local: true });
    for (const address of ['8.8.8.8', '2606:4700::1', '169.254.169.254']) expect(JSON.stringify(result)).not.toContain(address);
  });

  it.each([
    ['127.0.0.1.nip.io', ['127.0.0.1'], ['127.0.0.1']],
    ['v6.example.com', ['::1'], ['::1']],
    ['mapped.example.com', ['::ffff:10.1.2.3'], ['10.1.2.3', '::ffff:10.1.2.3']],
    ['cgnat.example.com', ['100.100.100.200'], ['100.100.100.200']],
    ['linklocal.example.com', ['fe80::1%eth0'], ['fe80', 'eth0']],
    ['nat64.example.com', ['64:ff9b::a9fe:a9fe'], ['169.254.169.254', 'a9fe']],
  ])('refuses %s resolving to %j, without the address', async (host, addresses, hidden) => {
    const result = await checkUrlAtCreate(`https://${host}/`, { ...strict, resolve: fakeDns({ [host]: addresses }) });
    expect(result).toEqual({ ok: false, reason: `${host} resolves to a private or internal address`, local: true });
    if (!result.ok) {
      // The host itself may contain an address (127.0.0.1.nip.io): look only at what follows it.
      const rest = result.reason.slice(host.length);
      for (const text of hidden) expect(rest).not.toContain(text);
    }
  });

  it('refuses a hostname that does not resolve, with the error code', async () => {
    expect(await checkUrlAtCreate('https://nowhere.invalid/', { ...strict, resolve: fakeDns({}) })).toEqual({
      ok: false,
      reason: 'could not resolve nowhere.invalid (ENOTFOUND)',
    });
  });

  it('refuses a hostname that resolves to nothing', async () => {
    const resolve = fakeDns({ 'empty.example.com': [] });
    expect(await checkUrlAtCreate('https://empty.example.com/', { ...strict, resolve })).toMatchObject({ ok: false });
  });

  it('refuses localhost names without asking DNS', async () => {
    expect(await checkUrlAtCreate('https://localhost:3000/', strict)).toEqual({ ok: false, reason: 'localhost is a loopback name', local: true });
  });

  it('marks private targets as local, and other refusals not', async () => {
    const resolve = fakeDns({ 'internal.example.com': ['10.0.0.7'] });
    expect(await checkUrlAtCreate('https://internal.example.com/', { ...strict, resolve })).toMatchObject({ ok: false, local: true });
    expect(await checkUrlAtCreate('https://10.0.0.7/', strict)).toMatchObject({ ok: false, local: true });
    expect(await checkUrlAtCreate('https://nowhere.invalid/', { ...strict, resolve })).not.toHaveProperty('local');
    expect(await checkUrlAtCreate('https://u:p@hooks.example.com/', { ...strict, resolve })).not.toHaveProperty('local');
  });

  it('with allowPrivate, accepts http and private targets without resolving', async () => {
    const resolve = fakeDns({});
    expect(await checkUrlAtCreate('http://127.0.0.1:3000/hook', { ...dev, resolve })).toMatchObject({ ok: true, addresses: [] });
    expect(await checkUrlAtCreate('http://internal.example.com/', { ...dev, resolve })).toMatchObject({ ok: true });
    expect(resolve.calls).toEqual([]);
  });

  it('still checks the URL shape with allowPrivate', async () => {
    expect(await checkUrlAtCreate('ftp://127.0.0.1/', dev)).toEqual({ ok: false, reason: 'URL must use https' });
  });
});
