#!/usr/bin/env node
// Launcher of the `faro` CLI (src/cli/faro/main.ts). The CLI is TypeScript run by Node's type
// stripping; a Node without it (older than 22.18, e.g. the system's behind a global install) runs
// it on the Node the repository pins (the `node` devDependency) instead.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

if (process.features.typescript) {
  await import('../src/cli/faro/main.ts');
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    console.error(`faro: needs Node.js 22.18 or later (this is ${process.version}); run \`npm install\` in the FARO repository or upgrade Node`);
    process.exit(1);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches both through the terminal; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
