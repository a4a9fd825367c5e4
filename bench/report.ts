import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md');

export function machineDescription(): string {
  const cpus = os.cpus();
  return `Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `${os.platform()} ${os.release()}; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`;
}

/** Replace (or append) the section of docs/benchmarks.md that belongs to one benchmark. */
export function writeBenchmarkSection(name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${begin}\n## \`npm run ${name}\`\n\n${machineDescription()}\n\n${body}\n${end}`;
  let text = fs.existsSync(REPORT) ? fs.readFileSync(REPORT, 'utf8') : '# Benchmarks\n\nMeasured, not asserted: each section is rewritten by its benchmark. Ratios compare variants measured in the same run on the same (shared, noisy) machine.\n';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(REPORT, text);
}
