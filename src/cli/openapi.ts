import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { toYaml } from '../http/openapi.ts';
import { generateOpenApiDocuments } from './openapi-generate.ts';
import { PORTAL_TYPES_FILE, PUBLIC_TYPES_FILE, typesFromDocument } from './openapi-types.ts';

/**
 * `npm run openapi` (write) regenerates api/openapi.yaml from the route schemas, and the portal's
 * types from it and from the portal routes; `npm run openapi:check` (check) exits 1 with a
 * summary when a committed file differs.
 */
export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../api/openapi.yaml');

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const stable = (value: unknown) => JSON.stringify(value);

function operations(document: Json, section: 'paths' | 'webhooks'): Map<string, unknown> {
  const result = new Map<string, unknown>();
  for (const [name, item] of Object.entries((document[section] ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) if (item[method]) result.set(`${method.toUpperCase()} ${name}`, item[method]);
  }
  return result;
}

function compareMaps(label: string, committed: Map<string, unknown>, generated: Map<string, unknown>): string[] {
  const lines: string[] = [];
  for (const key of generated.keys()) if (!committed.has(key)) lines.push(`  + ${label} ${key} (not in the committed file)`);
  for (const key of committed.keys()) if (!generated.has(key)) lines.push(`  - ${label} ${key} (no longer in the code)`);
  for (const [key, value] of generated) if (committed.has(key) && stable(committed.get(key)) !== stable(value)) lines.push(`  ~ ${label} ${key} changed`);
  return lines;
}

/** Where two texts first differ, 1-based. */
function firstDifferingLine(committedText: string, generatedText: string): string[] {
  const committed = committedText.split('\n');
  const generated = generatedText.split('\n');
  const at = generated.findIndex((line, index) => line !== committed[index]);
  return [`  first differing line: ${at === -1 ? Math.min(committed.length, generated.length) + 1 : at + 1}`];
}

/** What differs, operation by operation and component by component, for a human to read. */
export function summarizeDifferences(committedText: string, generatedText: string): string[] {
  let committed: Json;
  try {
    committed = (parse(committedText) ?? {}) as Json;
  } catch {
    return ['  the committed file is not valid YAML'];
  }
  const generated = parse(generatedText) as Json;
  const lines = [
    ...compareMaps('operation', operations(committed, 'paths'), operations(generated, 'paths')),
    ...compareMaps('webhook', operations(committed, 'webhooks'), operations(generated, 'webhooks')),
  ];
  const components = (document: Json) => (document.components ?? {}) as Record<string, Json>;
  for (const kind of new Set([...Object.keys(components(committed)), ...Object.keys(components(generated))])) {
    const entries = (document: Json) => new Map(Object.entries(components(document)[kind] ?? {}));
    lines.push(...compareMaps(`components.${kind}`, entries(committed), entries(generated)));
  }
  for (const key of ['openapi', 'info', 'servers', 'tags']) {
    if (stable(committed[key]) !== stable(generated[key])) lines.push(`  ~ ${key} changed`);
  }
  if (lines.length === 0) lines.push('  formatting or key order differs');
  return [...lines, ...firstDifferingLine(committedText, generatedText)];
}

interface Artifact {
  file: string;
  text: string;
  summarize: (committed: string, generated: string) => string[];
}

async function artifacts(): Promise<Artifact[]> {
  const documents = await generateOpenApiDocuments();
  const yaml = toYaml(documents.public);
  return [
    { file: OPENAPI_FILE, text: yaml, summarize: summarizeDifferences },
    { file: PUBLIC_TYPES_FILE, text: await typesFromDocument(yaml, 'api/openapi.yaml'), summarize: firstDifferingLine },
    {
      file: PORTAL_TYPES_FILE,
      text: await typesFromDocument(documents.portal, 'the /portal/api route schemas (src/cli/openapi-portal.ts)'),
      summarize: firstDifferingLine,
    },
  ];
}

function check({ file, text, summarize }: Artifact): boolean {
  const relative = path.relative(process.cwd(), file);
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (committed === text) {
    console.log(`${relative} is up to date`);
    return true;
  }
  console.error(committed ? `${relative} differs from what the code generates:` : `${relative} is missing.`);
  if (committed) for (const line of summarize(committed, text)) console.error(line);
  return false;
}

async function main(mode: string | undefined): Promise<number> {
  if (mode !== 'write' && mode !== 'check') {
    console.error('usage: node src/cli/openapi.ts write|check');
    return 2;
  }
  const generated = await artifacts();
  if (mode === 'write') {
    for (const { file, text } of generated) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    }
    return 0;
  }
  const stale = generated.filter((artifact) => !check(artifact));
  if (stale.length === 0) return 0;
  console.error('Run `npm run openapi` and commit the result.');
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv[2]);
}
