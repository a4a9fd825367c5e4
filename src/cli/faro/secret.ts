/**
 * `faro listen`'s signing secret: made once and kept in the user's config dir (owner-only), so a
 * local receiver configured with it keeps verifying across runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makePrivateDir } from '../../lib/private-files.ts';

export function configDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'faro');
}

export function listenSecret(env: NodeJS.ProcessEnv): { secret: string; file: string } {
  const dir = configDir(env);
  const file = path.join(dir, 'listen-secret');
  try {
    return { secret: fs.readFileSync(file, 'utf8').trim(), file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  makePrivateDir(dir);
  // Same shape as the secrets FARO gives subscriptions: whsec_ + base64 of 32 random bytes.
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, file };
  } catch (error) {
    // Another `faro listen` made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { secret: fs.readFileSync(file, 'utf8').trim(), file };
    throw error;
  }
}
