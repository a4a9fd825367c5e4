import fs from 'node:fs';
import path from 'node:path';
import { makePrivateDir, removeLeftoversOfDeadProcesses } from './private-files.ts';

/**
 * Embedded mode keeps its generated secrets (admin token, encryption key, demo password) in the
 * data directory, readable by the owner only, so a restart finds the same values.
 */
export function readOrCreateLocalSecret(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // An empty file is what an older version left when it was killed while writing: nothing used it.
  if (existing) return existing;
  makePrivateDir(dataDir);
  removeLeftoversOfDeadProcesses(dataDir, new RegExp(`^${name.replace(/\W/g, '\\$&')}\\.tmp-(\\d+)$`));
  // Written whole under a temporary name, then linked into place, so a crash never leaves a
  // partial secret and two processes starting at once agree on one value.
  const value = generate();
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, `${value}\n`, { mode: 0o600 });
  try {
    if (existing === undefined) fs.linkSync(temporary, file);
    else fs.renameSync(temporary, file);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return fs.readFileSync(file, 'utf8').trim();
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
