import { promises as dns } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * SSRF guard for webhook targets. Three layers use it:
 * - `parseWebhookUrl`: the URL's shape (scheme, credentials, host, length);
 * - `checkUrlAtCreate`: at create/update, the host and every address it resolves to;
 * - the sender, at connect time, against the address actually connected to (DNS can change).
 * Host literals are read through the WHATWG URL parser, which turns every IPv4 spelling
 * (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`, percent-escapes,
 * full-width digits) into dotted-quad and IPv6 into its compressed form.
 */

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** Dev and tests only (`FARO_WEBHOOK_ALLOW_PRIVATE=1`): allow http and private targets. */
  allowPrivate: boolean;
}

/**
 * A refused URL. `local` marks a target on the caller's machine or private network (loopback,
 * private ranges, `localhost`, plain http to one of those): what a developer tries first, and
 * what LOCAL_TARGET_ADVICE answers.
 */
export interface UrlRefusal {
  ok: false;
  reason: string;
  local?: true;
}

export type UrlCheck = { ok: true; url: URL; /** hostname without IPv6 brackets */ host: string } | UrlRefusal;

/** The way forward for a refused local target, shown after the reason. */
export const LOCAL_TARGET_ADVICE =
  'For local development, receive events on your machine with "faro listen"; on a self-hosted development instance, set FARO_WEBHOOK_ALLOW_PRIVATE=1';

function refusal(reason: string, local: boolean): UrlRefusal {
  return local ? { ok: false, reason, local: true } : { ok: false, reason };
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to all its addresses; errors carry a `code` such as `ENOTFOUND`. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const defaultResolveHost: ResolveHost = (hostname) => dns.lookup(hostname, { all: true, order: 'verbatim' });

/** Error raised when a target is refused by the guard; `code` is `ERR_SSRF_BLOCKED`. */
export class SsrfBlockedError extends Error {
  readonly code = 'ERR_SSRF_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

type Rule = readonly [cidr: string, reason: string];

// Order matters: the first matching rule gives the reason.
const IPV4_RULES: readonly Rule[] = [
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['10.0.0.0/8', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT (shared) address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.169.254/32', 'the cloud metadata address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['168.63.129.16/32', 'a cloud platform service address'],
  ['172.16.0.0/12', 'a private address'],
  ['192.0.0.0/24', 'a reserved (IETF protocol) address'],
  ['192.0.2.0/24', 'a documentation address'],
  ['192.88.99.0/24', 'a reserved (6to4 relay) address'],
  ['192.168.0.0/16', 'a private address'],
  ['198.18.0.0/15', 'a benchmarking address'],
  ['198.51.100.0/24', 'a documentation address'],
  ['203.0.113.0/24', 'a documentation address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['240.0.0.0/4', 'a reserved address'],
];

const IPV6_RULES: readonly Rule[] = [
  ['::/128', 'an unspecified address'],
  ['::1/128', 'a loopback address'],
  ['64:ff9b:1::/48', 'a reserved (local NAT64) address'],
  ['2001::/32', 'a Teredo tunnel address'],
  ['2001:2::/48', 'a benchmarking address'],
  ['2001:db8::/32', 'a documentation address'],
  ['100::/64', 'a reserved (discard) address'],
  ['fc00::/7', 'a private (unique local) address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a site-local address'],
  ['ff00::/8', 'a multicast address'],
];

/** IPv6 ranges that carry an IPv4 address; the embedded address decides. */
const IPV6_EMBEDDING: readonly (readonly [cidr: string, label: string, shift: bigint])[] = [
  ['::ffff:0:0/96', 'an IPv4-mapped', 0n],
  ['::ffff:0:0:0/96', 'an IPv4-translated', 0n],
  ['64:ff9b::/96', 'a NAT64', 0n],
  ['::/96', 'an IPv4-compatible', 0n],
  ['2002::/16', 'a 6to4', 80n],
];

const GLOBAL_UNICAST_V6 = '2000::/3';

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function inCidr(value: bigint, bits: 32 | 128, cidr: string): boolean {
  const [base = '', len = ''] = cidr.split('/');
  const shift = BigInt(bits - Number(len));
  const baseValue = bits === 32 ? ipv4ToBigInt(base) : ipv6ToBigInt(base);
  return value >> shift === baseValue >> shift;
}

function ipv4Reason(value: bigint): string | null {
  return IPV4_RULES.find(([cidr]) => inCidr(value, 32, cidr))?.[1] ?? null;
}

function ipv6Reason(value: bigint): string | null {
  const direct = IPV6_RULES.find(([cidr]) => inCidr(value, 128, cidr));
  if (direct) return direct[1];
  for (const [cidr, label, shift] of IPV6_EMBEDDING) {
    if (!inCidr(value, 128, cidr)) continue;
    const v4 = bigIntToIpv4((value >> shift) & 0xffffffffn);
    const reason = ipv4Reason(ipv4ToBigInt(v4));
    return reason ? `${label} form of ${v4}, ${reason}` : null;
  }
  return inCidr(value, 128, GLOBAL_UNICAST_V6) ? null : 'a reserved IPv6 address';
}

/**
 * Reads an address however written: dotted-quad, IPv6 (bracketed or not, with or without a
 * `%zone`), or any IPv4 spelling the WHATWG URL parser accepts (`2130706433`, `0x7f.1`, …).
 */
function normalizeAddress(input: string): { family: 4 | 6; text: string } | null {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1 && text.includes(':')) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, text };
  if (isIPv6(text)) return { family: 6, text };
  if (/^[0-9a-fA-FxX.]+$/.test(text)) {
    try {
      const host = new URL(`http://${text}/`).hostname;
      if (isIPv4(host)) return { family: 4, text: host };
    } catch {
      // not an IPv4 spelling either
    }
  }
  return null;
}

/**
 * Why `ip` must not be a webhook target (e.g. "a private address"), or null when it is a
 * public address. Anything that is not an IP address is refused ("not an IP address").
 */
export function isBlockedAddress(ip: string): string | null {
  const address = normalizeAddress(ip);
  if (!address) return 'not an IP address';
  return address.family === 4 ? ipv4Reason(ipv4ToBigInt(address.text)) : ipv6Reason(ipv6ToBigInt(address.text));
}

/**
 * Why a host must not be a webhook target, as a sentence; null when all its addresses are public.
 * A literal is named with its kind ("127.0.0.1 is a loopback address": the caller wrote it), but
 * a hostname's blocked address is not named: the reason reaches the agency (400 detail, delivery
 * log), and the addresses our DNS gives for internal names are a map of our network.
 */
export function findBlockedAddress(host: string, addresses: readonly string[]): string | null {
  for (const address of addresses) {
    const reason = isBlockedAddress(address);
    if (reason) return address === host ? `${host} is ${reason}` : `${host} resolves to a private or internal address`;
  }
  return null;
}

/** True for `localhost` and `*.localhost` (RFC 6761), which never leave the machine. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** True for a host written as a blocked address literal or a localhost name (no DNS). */
function isLocalHostLiteral(host: string): boolean {
  if (isIPv4(host) || isIPv6(host)) return isBlockedAddress(host) !== null;
  return isLocalhostName(host);
}

function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Checks the URL's shape only (no DNS): http(s), https unless allowPrivate, no credentials. */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, reason: 'URL is required' };
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'URL is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'URL must use https' };
  if (url.protocol === 'http:' && !policy.allowPrivate) return refusal('URL must use https', isLocalHostLiteral(bareHostname(url)));
  if (url.username || url.password) return { ok: false, reason: 'URL must not contain credentials' };
  const host = bareHostname(url);
  if (!host) return { ok: false, reason: 'URL has no host' };
  return { ok: true, url, host };
}

export interface CreateCheckOptions extends UrlPolicy {
  /** Defaults to `dns.lookup(host, { all: true })`; tests inject their own. */
  resolve?: ResolveHost;
}

export type CreateCheck = { ok: true; url: URL; /** the vetted addresses; empty with allowPrivate */ addresses: string[] } | UrlRefusal;

/**
 * The check at subscription create/update: the URL's shape, then (unless allowPrivate) the
 * host literal or every address the hostname resolves to. A hostname that does not resolve is
 * refused, since it cannot be vetted. Reasons read like "hooks.example.com resolves to a
 * private or internal address" (never naming the address) or "10.0.0.5 is a private address".
 */
export async function checkUrlAtCreate(raw: string, options: CreateCheckOptions): Promise<CreateCheck> {
  const parsed = parseWebhookUrl(raw, options);
  if (!parsed.ok) return parsed;
  const { url, host } = parsed;
  if (options.allowPrivate) return { ok: true, url, addresses: [] };

  if (isIPv4(host) || isIPv6(host)) {
    const reason = findBlockedAddress(host, [host]);
    return reason ? refusal(reason, true) : { ok: true, url, addresses: [host] };
  }
  if (isLocalhostName(host)) return refusal(`${host} is a loopback name`, true);

  let resolved: ResolvedAddress[];
  try {
    resolved = await (options.resolve ?? defaultResolveHost)(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: `could not resolve ${host}${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  const addresses = resolved.map((r) => r.address);
  if (addresses.length === 0) return { ok: false, reason: `could not resolve ${host}` };
  const reason = findBlockedAddress(host, addresses);
  return reason ? refusal(reason, true) : { ok: true, url, addresses };
}
