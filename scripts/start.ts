// `npm start`: build the portal when its build is missing or older than its sources, then run
// the service. Kept apart from src/ so the service itself never depends on the build tooling.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const portal = path.join(root, 'portal');
const builtIndex = path.join(portal, 'dist', 'index.html');

function newestSourceMtime(directory: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const builtAt = fs.existsSync(builtIndex) ? fs.statSync(builtIndex).mtimeMs : 0;
if (fs.existsSync(portal) && newestSourceMtime(portal) > builtAt) {
  console.log(builtAt ? 'portal sources changed: rebuilding the portal…' : 'building the portal…');
  const { build } = await import('vite');
  await build({ configFile: path.join(portal, 'vite.config.ts'), logLevel: 'warn' });
}

const { main } = await import('../src/main.ts');
await main();
