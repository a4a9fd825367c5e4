import { describe, expect, it } from 'vitest';
import { checkUrlAtCreate, findBlockedAddress, isBlockedAddress, type ResolveHost } from './ssrf.ts';

/** A resolver that must not be called: IP literals are judged without DNS. */
const noDns: ResolveHost = async (host) => {
  throw new Error(`unexpected DNS lookup of ${host}`);
};
const check = (url: string, resolve: ResolveHost = noDns) => checkUrlAtCreate(url, { allowPrivate: false, resolve });

describe('isBlockedAddress', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.0.0.5', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.1', /private/],
    ['169.254.169.254', /metadata/],
    ['169.254.1.1', /link-local/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['224.0.0.251', /multicast/],
    ['239.255.255.250', /multicast/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['198.18.0.1', /benchmarking/],
    ['198.19.255.255', /benchmarking/],
    ['240.0.0.1', /reserved/],
    ['192.0.0.192', /reserved/],
    ['192.0.2.10', /documentation/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf::1', /link-local/],
    ['fc00::1', /unique local/],
    ['fd00:ec2::254', /unique local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /IPv4-mapped form of 127\.0\.0\.1, a loopback/],
    ['::ffff:7f00:1', /IPv4-mapped form of 127\.0\.0\.1/],
    ['::ffff:a9fe:a9fe', /169\.254\.169\.254, the cloud metadata/],
    ['::ffff:0:10.0.0.1', /IPv4-translated form of 10\.0\.0\.1/],
    ['::127.0.0.1', /IPv4-compatible form of 127\.0\.0\.1/],
    ['64:ff9b::7f00:1', /NAT64 form of 127\.0\.0\.1/],
    ['64:ff9b::169.254.169.254', /NAT64 form of 169\.254\.169\.254/],
    ['64:ff9b:1::1', /local NAT64/],
    ['2002:7f00:1::1', /6to4 form of 127\.0\.0\.1/],
    ['2002:c0a8:101::', /6to4 form of 192\.168\.1\.1/],
    ['2001:db8::1', /documentation/],
    ['2001:0:4136:e378::1', /Teredo/],
    ['100::1', /discard/],
    ['4000::1', /reserved IPv6/],
    ['[::1]', /loopback/],
    ['2130706433', /loopback/],
    ['0177.0.0.1', /loopback/],
    ['0x7f.1', /loopback/],
    ['127.1', /loopback/],
    ['0xa9fea9fe', /metadata/],
  ])('blocks %s', (ip, reason) => {
    expect(isBlockedAddress(ip)).toMatch(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (ip) => {
    expect(isBlockedAddress(ip)).toBeNull();
  });

  it.each(['example.com', '', '1.2.3.4.5', 'evil@127.0.0.1', '::ffff:zzzz'])('refuses %j as not an IP address', (value) => {
    expect(isBlockedAddress(value)).toBe('not an IP address');
  });
});

describe('checkUrlAtCreate: host literals however written', () => {
  it.each([
    ['https://127.0.0.1/', /loopback/],
    ['https://127.0.0.1:8443/hook', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://0177.0.0.1/', /loopback/],
    ['https://0177.0000.0000.0001/', /loopback/],
    ['https://0x7f.1/', /loopback/],
    ['https://0x7f000001/', /loopback/],
    ['https://127.1/', /loopback/],
    ['https://127.0.1/', /loopback/],
    ['https://%31%32%37.0.0.1/', /loopback/],
    ['https://１２７．０．０．１/', /loopback/],
    ['https://127。0。0。1/', /loopback/],
    ['https://0/', /unspecified/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://10.0.0.5/', /private/],
    ['https://012.0.0.5/', /private/],
    ['https://172.16.5.4/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://3232235777/', /private/],
    ['https://169.254.169.254/latest/meta-data/', /metadata/],
    ['https://0xa9.0xfe.0xa9.0xfe/', /metadata/],
    ['https://2852039166/', /metadata/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://224.0.0.1/', /multicast/],
    ['https://255.255.255.255/', /broadcast/],
    ['https://198.18.0.1/', /benchmarking/],
    ['https://240.0.0.1/', /reserved/],
    ['https://[::1]/', /loopback/],
    ['https://[0:0:0:0:0:0:0:1]/', /loopback/],
    ['https://[::]/', /unspecified/],
    ['https://[::ffff:127.0.0.1]/', /IPv4-mapped form of 127\.0\.0\.1/],
    ['https://[::ffff:7f00:1]/', /IPv4-mapped form of 127\.0\.0\.1/],
    ['https://[::ffff:169.254.169.254]/', /metadata/],
    ['https://[::127.0.0.1]/', /IPv4-compatible/],
    ['https://[64:ff9b::a9fe:a9fe]/', /NAT64 form of 169\.254\.169\.254/],
    ['https://[2002:a00:5::]/', /6to4 form of 10\.0\.0\.5/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[fc00::1]/', /unique local/],
    ['https://[fd12:3456::1]/', /unique local/],
    ['https://[fec0::1]/', /site-local/],
    ['https://[ff02::1]/', /multicast/],
    ['https://localhost/', /loopback name/],
    ['https://LOCALHOST./', /loopback name/],
    ['https://api.localhost/', /loopback name/],
  ])('refuses %s', async (url, reason) => {
    const result = await check(url);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([
    'https://8.8.8.8/',
    'https://1.1.1.1:8443/hook?x=1',
    'https://93.184.215.14/webhooks/faro',
    'https://172.32.0.1/',
    'https://100.128.0.1/',
    'https://[2606:4700:4700::1111]/',
    'https://[::ffff:8.8.8.8]/',
    'https://[2002:808:808::1]/',
  ])('accepts %s', async (url) => {
    const result = await check(url);
    expect(result).toMatchObject({ ok: true });
  });

  it('says which address a literal is', async () => {
    expect(await check('https://2130706433/')).toEqual({ ok: false, reason: '127.0.0.1 is a loopback address', local: true });
  });
});

describe('findBlockedAddress', () => {
  it('names a literal the caller wrote, with its kind', () => {
    expect(findBlockedAddress('10.0.0.5', ['10.0.0.5'])).toBe('10.0.0.5 is a private address');
  });

  it.each([
    ['10.0.0.5'],
    ['169.254.169.254'],
    ['::ffff:10.1.2.3'],
    ['2002:a00:5::'],
    ['fd12:3456::1'],
  ])('says a hostname resolves to a private or internal address, never which (%s)', (address) => {
    const reason = findBlockedAddress('hooks.example.com', ['8.8.8.8', address]);
    expect(reason).toBe('hooks.example.com resolves to a private or internal address');
    expect(reason).not.toContain(address);
    expect(reason).not.toMatch(/\d+\.\d+\.\d+\.\d+|::/);
  });

  it('is null when every address is public', () => {
    expect(findBlockedAddress('hooks.example.com', ['8.8.8.8', '2606:4700:4700::1111'])).toBeNull();
  });
});
