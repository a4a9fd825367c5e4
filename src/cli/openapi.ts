import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { toYaml } from '../http/openapi.ts';
import { generateOpenApiDocument } from './openapi-generate.ts';

/**
 * `npm run openapi` (write) regenerates api/openapi.yaml from the route schemas;
 * `npm run openapi:check` (check) exits 1 with a summary when the committed file differs.
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
  const committedLines = committedText.split('\n');
  const generatedLines = generatedText.split('\n');
  const first = generatedLines.findIndex((line, index) => line !== committedLines[index]);
  const at = first === -1 ? Math.min(committedLines.length, generatedLines.length) + 1 : first + 1;
  if (lines.length === 0) lines.push('  formatting or key order differs');
  lines.push(`  first differing line: ${at}`);
  return lines;
}

async function main(mode: string | undefined): Promise<number> {
  if (mode !== 'write' && mode !== 'check') {
    console.error('usage: node src/cli/openapi.ts write|check');
    return 2;
  }
  const text = toYaml(await generateOpenApiDocument());
  const relative = path.relative(process.cwd(), OPENAPI_FILE);
  if (mode === 'write') {
    fs.mkdirSync(path.dirname(OPENAPI_FILE), { recursive: true });
    fs.writeFileSync(OPENAPI_FILE, text);
    console.log(`wrote ${relative}`);
    return 0;
  }
  const committed = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
  if (committed === text) {
    console.log(`${relative} is up to date`);
    return 0;
  }
  console.error(committed ? `${relative} differs from what the code generates:` : `${relative} is missing.`);
  if (committed) for (const line of summarizeDifferences(committed, text)) console.error(line);
  console.error('Run `npm run openapi` and commit the result.');
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv[2]);
}
