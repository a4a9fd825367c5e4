// The real `faro` CLI as a child process (bin/faro.js, as `npx faro` runs it): its output lines as
// they come, and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { until } from './eventually.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/faro.js');

export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first line (stdout or stderr) matching. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function lines(stream: NodeJS.ReadableStream, into: string[]): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    into.push(...parts);
  });
  stream.on('end', () => {
    if (rest) into.push(rest);
  });
}

export function runCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  lines(child.stdout!, stdout);
  lines(child.stderr!, stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout,
    stderr,
    exited,
    async waitForLine(pattern, timeoutMs = 30_000) {
      await until(() => [...stdout, ...stderr].some((line) => pattern.test(line)), `a CLI line matching ${pattern} (stdout: ${stdout.join(' | ')} stderr: ${stderr.join(' | ')})`, timeoutMs);
      return [...stdout, ...stderr].find((line) => pattern.test(line))!;
    },
  };
}

/** Run to completion. */
export async function runCliToEnd(args: string[], env: Record<string, string | undefined>) {
  const cli = runCli(args, env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}
