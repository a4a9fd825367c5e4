import fs from 'node:fs';
import path from 'node:path';

/**
 * Embedded mode keeps its generated secrets (admin token, encryption key, demo password) in the
 * data directory, readable by the owner only, so a restart finds the same values.
 */
export function readOrCreateLocalSecret(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const value = generate();
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}
