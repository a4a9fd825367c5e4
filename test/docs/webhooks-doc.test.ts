/**
 * Keeps docs/webhooks.md honest: its event catalog, retry table, request example, signature
 * examples, endpoint table and JSON examples are checked against the code they describe, and its
 * hand-written verification function is run against requests signed by the real signer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Value } from 'typebox/value';
import { catalogEntry, EVENT_CATALOG } from '../../src/domains/events/catalog.ts';
import { EVENT_READ_SCOPES } from '../../src/domains/events/event-types.ts';
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS } from '../../src/domains/webhooks/delivery/retry-schedule.ts';
import { buildWebhookHeaders, signPayload } from '../../src/domains/webhooks/delivery/signer.ts';
import { generateWebhookSecret } from '../../src/domains/webhooks/secret-box.ts';
import { CreatedSubscriptionSchema, RotatedSecretSchema } from '../../src/domains/webhooks/schemas.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(root, 'docs/webhooks.md'), 'utf8');

interface CodeBlock {
  lang: string;
  code: string;
}

interface Section {
  level: number;
  title: string;
  /** Lines up to the next heading of any level, fences included. */
  text: string;
  blocks: CodeBlock[];
}

/** Headings and fenced code blocks; a `#` line inside a fence is code, not a heading. */
function parseMarkdown(markdown: string): Section[] {
  const sections: Section[] = [{ level: 0, title: '', text: '', blocks: [] }];
  let fence: { lang: string; lines: string[] } | null = null;
  for (const line of markdown.split('\n')) {
    const current = sections[sections.length - 1]!;
    if (fence) {
      if (/^```\s*$/.test(line)) {
        current.blocks.push({ lang: fence.lang, code: fence.lines.join('\n') });
        fence = null;
      } else {
        fence.lines.push(line);
      }
      current.text += `${line}\n`;
      continue;
    }
    const opening = /^```(\S*)/.exec(line);
    if (opening) {
      fence = { lang: opening[1] ?? '', lines: [] };
      current.text += `${line}\n`;
      continue;
    }
    const heading = /^(#{1,6}) +(.+?)\s*$/.exec(line);
    if (heading) {
      sections.push({ level: heading[1]!.length, title: heading[2]!, text: '', blocks: [] });
      continue;
    }
    current.text += `${line}\n`;
  }
  if (fence) throw new Error('docs/webhooks.md has an unclosed code fence');
  return sections;
}

const sections = parseMarkdown(doc);

function section(title: string): Section {
  const found = sections.filter((s) => s.title === title);
  if (found.length !== 1) throw new Error(`docs/webhooks.md must have one section titled "${title}", found ${found.length}`);
  return found[0]!;
}

/** The sections nested under `parent` (until the next heading of its level or above). */
function subsections(parent: Section): Section[] {
  const start = sections.indexOf(parent);
  const children: Section[] = [];
  for (const s of sections.slice(start + 1)) {
    if (s.level <= parent.level) break;
    children.push(s);
  }
  return children;
}

/** The first Markdown table of a text: one array of cells per body row (header and rule skipped). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  if (first < 0) throw new Error('expected a table');
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((cell) => cell.trim()));
  }
  return rows;
}

const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The worked signature example of "By hand": `name   value` lines. */
function workedExample(): Map<string, string> {
  const blocks = section('By hand').blocks.filter((block) => block.lang === 'text' && block.code.includes('webhook-signature'));
  if (blocks.length !== 1) throw new Error(`expected one worked example block under "By hand", found ${blocks.length}`);
  return new Map(
    blocks[0]!.code.split('\n').map((line) => {
      const match = /^(\S+) +(\S.*)$/.exec(line);
      if (!match) throw new Error(`worked example line "${line}" is not "name  value"`);
      return [match[1]!, match[2]!] as const;
    }),
  );
}

/** "2 h 35 min 5 s" → 9305. */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, min: 60, s: 1 };
  const parts = [...duration.matchAll(/(\d+)\s*(h|min|s)\b/g)];
  expect(parts.length, `a duration in "${duration}"`).toBeGreaterThan(0);
  expect(parts.map((p) => p[0]).join(' '), `only durations in "${duration}"`).toBe(duration.replace(/\s+/g, ' ').trim());
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

describe('docs/webhooks.md: event catalog', () => {
  const entries = () => subsections(section('Event catalog'));

  it('has one heading per event type of EVENT_CATALOG, and no other', () => {
    const documented = entries().filter((s) => s.level === 3).map((s) => s.title.replace(/^`|`$/g, ''));
    expect([...documented].sort()).toEqual(EVENT_CATALOG.map((entry) => entry.type).sort());
  });

  it.each(EVENT_CATALOG.map((entry) => [entry.type, entry] as const))('%s: description and example payload equal the catalog', (type, entry) => {
    const heading = entries().find((s) => s.title === `\`${type}\``);
    expect(heading, `a "### \`${type}\`" heading`).toBeDefined();
    expect(normalize(heading!.text)).toContain(normalize(entry.description));
    const json = heading!.blocks.filter((block) => block.lang === 'json');
    expect(json, `one json block under ${type}`).toHaveLength(1);
    const rendered = JSON.stringify(entry.example, null, 2);
    expect(JSON.parse(json[0]!.code), `the example of ${type}; expected block:\n${rendered}`).toEqual(entry.example);
  });
});

describe('docs/webhooks.md: scopes', () => {
  it('the table of the resource scope each event type needs is EVENT_READ_SCOPES', () => {
    const rows = tableRows(section('Scopes').text).map(([type, scope]) => [type!.replace(/`/g, ''), scope!.replace(/`/g, '')]);
    const expected = Object.entries(EVENT_READ_SCOPES).map(([type, scope]) => [type, scope ?? '—']);
    expect(rows).toEqual(expected);
  });
});

describe('docs/webhooks.md: retry schedule', () => {
  it('lists every attempt, and the delays are RETRY_DELAYS_SECONDS', () => {
    const rows = tableRows(section('Retries').text);
    expect(rows.map((row) => Number(row[0]))).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1));
    expect(rows[0]![1]).toBe('—');
    expect(rows.slice(1).map((row) => seconds(row[1]!))).toEqual([...RETRY_DELAYS_SECONDS]);
  });

  it('gives the time since the first attempt as the running sum of the delays', () => {
    const retries = section('Retries');
    const rows = tableRows(retries.text);
    let sum = 0;
    const expected = [0, ...RETRY_DELAYS_SECONDS.map((delay) => (sum += delay))];
    expect(rows.map((row) => seconds(row[2]!))).toEqual(expected);
    expect(retries.text).toContain(`${MAX_ATTEMPTS} attempts`);
  });
});

describe('docs/webhooks.md: the request and the worked signature example', () => {
  it('the worked example is signed as signer.ts signs, over the catalog example of webhook.test', () => {
    const values = workedExample();
    expect([...values.keys()]).toEqual(['secret', 'webhook-id', 'webhook-timestamp', 'body', 'webhook-signature']);
    const body = values.get('body')!;
    expect(body).toBe(JSON.stringify(catalogEntry('webhook.test').example));
    const signature = signPayload({
      id: values.get('webhook-id')!,
      timestamp: Number(values.get('webhook-timestamp')),
      body,
      secrets: [values.get('secret')!],
    });
    expect(values.get('webhook-signature')).toBe(signature);
  });

  it('the request example carries exactly the headers the signer builds, and the worked example signature', () => {
    const values = workedExample();
    const blocks = section('The request').blocks.filter((block) => block.lang === 'http');
    expect(blocks).toHaveLength(1);
    const [head = '', body = ''] = blocks[0]!.code.split('\n\n');
    const [requestLine, ...headerLines] = head.split('\n');
    expect(requestLine).toMatch(/^POST \S+ HTTP\/1\.1$/);
    const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));

    const built = buildWebhookHeaders({ id: 'evt_x', timestamp: 1, body: '{}', secrets: [generateWebhookSecret()] });
    const transport = ['host', 'content-length'];
    expect(Object.keys(headers).sort()).toEqual([...Object.keys(built), ...transport].sort());
    expect(headers['content-type']).toBe(built['content-type']);
    expect(headers['user-agent']).toBe(built['user-agent']);
    expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(body).toBe(values.get('body'));
    expect(headers['webhook-id']).toBe(JSON.parse(body).id);
    expect(headers['webhook-timestamp']).toBe(values.get('webhook-timestamp'));
    const signatures = headers['webhook-signature']!.split(' ');
    expect(signatures, 'two signatures: the example is sent during a rotation').toHaveLength(2);
    expect(signatures[0]).toBe(values.get('webhook-signature'));
    for (const signature of signatures) expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

type VerifyWebhook = (secret: string, headers: Record<string, string | undefined>, rawBody: string | Buffer) => boolean;

describe('docs/webhooks.md: the "by hand" Node.js verification function', () => {
  let dir: string;
  let verifyWebhook: VerifyWebhook;
  const now = () => Math.floor(Date.now() / 1000);
  const example = catalogEntry('review.created').example;
  // Non-ASCII text: the HMAC must cover UTF-8 bytes, not UTF-16 code units.
  const body = JSON.stringify({ ...example, data: { ...example.data, body: 'Très bien — 5★, merci !' } });

  beforeAll(async () => {
    const blocks = sections.flatMap((s) => s.blocks).filter((block) => block.code.split('\n')[0]!.trim() === '// verify-by-hand');
    expect(blocks, 'exactly one code block starting with // verify-by-hand').toHaveLength(1);
    expect(blocks[0]!.lang).toBe('js');
    dir = mkdtempSync(path.join(tmpdir(), 'faro-doc-verify-'));
    const file = path.join(dir, 'verify-by-hand.mjs');
    writeFileSync(file, blocks[0]!.code);
    const module = (await import(pathToFileURL(file).href)) as { verifyWebhook?: unknown };
    expect(typeof module.verifyWebhook, 'the block exports verifyWebhook').toBe('function');
    verifyWebhook = module.verifyWebhook as VerifyWebhook;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a request signed by signer.ts, raw body as a string or a Buffer', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: example.id, timestamp: now(), body, secrets: [secret] });
    expect(verifyWebhook(secret, { ...headers }, body)).toBe(true);
    expect(verifyWebhook(secret, { ...headers }, Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('rejects a tampered body, a re-serialized body, another secret, another id and a missing header', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: example.id, timestamp: now(), body, secrets: [secret] });
    expect(verifyWebhook(secret, { ...headers }, body.replace('"rating":5', '"rating":1'))).toBe(false);
    expect(verifyWebhook(secret, { ...headers }, JSON.stringify(JSON.parse(body), null, 2))).toBe(false);
    expect(verifyWebhook(generateWebhookSecret(), { ...headers }, body)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-id': 'evt_01jd5q7h3kd5f7h9k1m3n5q7s0' }, body)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': undefined }, body)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': 'v2,' + headers['webhook-signature'].slice(3) }, body)).toBe(false);
  });

  it('rejects timestamps more than 5 minutes old or ahead, and accepts them within', () => {
    const secret = generateWebhookSecret();
    const at = (offset: number) => buildWebhookHeaders({ id: example.id, timestamp: now() + offset, body, secrets: [secret] });
    expect(verifyWebhook(secret, { ...at(-360) }, body)).toBe(false);
    expect(verifyWebhook(secret, { ...at(360) }, body)).toBe(false);
    expect(verifyWebhook(secret, { ...at(-240) }, body)).toBe(true);
    expect(verifyWebhook(secret, { ...at(240) }, body)).toBe(true);
  });

  it('during a rotation, accepts either secret of the two signatures', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const headers = buildWebhookHeaders({ id: example.id, timestamp: now(), body, secrets: [current, previous] });
    expect(verifyWebhook(current, { ...headers }, body)).toBe(true);
    expect(verifyWebhook(previous, { ...headers }, body)).toBe(true);
    expect(verifyWebhook(generateWebhookSecret(), { ...headers }, body)).toBe(false);
  });

  it('accepts the worked example at its own time', () => {
    const values = workedExample();
    const headers = {
      'webhook-id': values.get('webhook-id')!,
      'webhook-timestamp': values.get('webhook-timestamp')!,
      'webhook-signature': values.get('webhook-signature')!,
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Number(headers['webhook-timestamp']) * 1000);
      expect(verifyWebhook(values.get('secret')!, headers, values.get('body')!)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('docs/webhooks.md: endpoints and JSON examples', () => {
  it('every endpoint of the table exists in api/openapi.yaml with that scope, and every webhook/event operation is listed', () => {
    const openapi = parseYaml(readFileSync(path.join(root, 'api/openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, { tags?: string[]; 'x-faro-scope'?: string }>>;
    };
    const rows = tableRows(section('Managing subscriptions').text);
    const listed = rows.map((row) => {
      const match = /^`(GET|POST|PATCH|DELETE) (\/api\/v1\/\S+)`$/.exec(row[1]!);
      expect(match, `"${row[1]}" is \`METHOD /api/v1/…\``).not.toBeNull();
      return { method: match![1]!.toLowerCase(), path: match![2]!, scope: row[2]!.replace(/`/g, '') };
    });
    for (const { method, path: route, scope } of listed) {
      const operation = openapi.paths[route]?.[method];
      expect(operation, `${method.toUpperCase()} ${route} in api/openapi.yaml`).toBeDefined();
      // The scope is named in x-faro-scope (bearerAuth carries no role names: keys are not OAuth).
      expect(operation!['x-faro-scope'], `scope of ${method.toUpperCase()} ${route}`).toBe(scope);
    }
    const documented = new Set(listed.map(({ method, path: route }) => `${method} ${route}`));
    for (const [route, operations] of Object.entries(openapi.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.tags?.some((tag) => tag === 'Webhooks' || tag === 'Events')) expect(documented).toContain(`${method} ${route}`);
      }
    }
  });

  it('the create and rotate-secret answers shown match their response schemas', () => {
    const created = section('With the API').blocks.filter((block) => block.lang === 'json');
    expect(created).toHaveLength(1);
    const subscription = JSON.parse(created[0]!.code) as unknown;
    expect([...Value.Errors(CreatedSubscriptionSchema, subscription)]).toEqual([]);

    const rotated = section('Rotating the signing secret').blocks.filter((block) => block.lang === 'json');
    expect(rotated).toHaveLength(1);
    expect([...Value.Errors(RotatedSecretSchema, JSON.parse(rotated[0]!.code) as unknown)]).toEqual([]);
  });
});
