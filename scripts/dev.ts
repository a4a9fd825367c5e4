// `npm run dev`: the service (restarted on change by node --watch) plus Vite's dev server with
// hot reload for the portal on http://localhost:5173, proxying API calls to the service.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const service = spawn(process.execPath, ['--watch-path=src', '--watch-path=migrations', 'src/cli/start.ts'], {
  cwd: root,
  stdio: 'inherit',
});
const vite = await createServer({ configFile: path.join(root, 'portal', 'vite.config.ts') });
await vite.listen();
vite.printUrls();

const stop = async () => {
  service.kill('SIGTERM');
  await vite.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
