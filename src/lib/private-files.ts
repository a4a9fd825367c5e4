import fs from 'node:fs';
import path from 'node:path';

/** Create `dir` readable by its owner only (its parents as usual); an existing dir is left as it is. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove what processes that died half-way through a write left in `dir`: entries whose name
 * matches `pattern`, whose first group is the writer's pid, and whose writer is gone.
 */
export function removeLeftoversOfDeadProcesses(dir: string, pattern: RegExp): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
