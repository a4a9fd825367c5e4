import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReceiverCommand } from './receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Receiver {
  /** The fast receiver's origin: every POST answered 204. */
  url: string;
  /** The hanging receiver's origin: requests are read and never answered. */
  hangingUrl: string;
  /** POSTs the fast receiver took since the last reset. */
  count(): Promise<number>;
  reset(): Promise<void>;
  record(on: boolean): Promise<void>;
  /** The recorded [webhook-id, arrival ms] pairs since the last dump. */
  dump(): Promise<[string, number][]>;
  hanging(): Promise<{ open: number; total: number }>;
  /**
   * Waits until the fast receiver has taken `target` POSTs since the last reset, or the deadline
   * (performance.now() ms); answers how many it took. Asks the receiver, not the database.
   */
  waitForArrivals(target: number, deadline?: number): Promise<number>;
  close(): void;
}

export async function startReceiver(): Promise<Receiver> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'receiver.ts'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ports = await new Promise<{ port: number; hangingPort: number }>((resolve) => child.once('message', (m) => resolve(m as never)));
  let nextId = 0;
  const waiting = new Map<number, (answer: never) => void>();
  child.on('message', (message: { id?: number }) => {
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message as never);
    waiting.delete(message.id);
  });
  function ask<T>(command: ReceiverCommand): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve) => {
      waiting.set(id, resolve as (answer: never) => void);
      child.send({ ...command, id });
    });
  }
  const count = async () => (await ask<{ count: number }>({ cmd: 'count' })).count;
  return {
    url: `http://127.0.0.1:${ports.port}`,
    hangingUrl: `http://127.0.0.1:${ports.hangingPort}`,
    count,
    reset: async () => void (await ask({ cmd: 'reset' })),
    record: async (on) => void (await ask({ cmd: 'record', on })),
    dump: async () => (await ask<{ arrivals: [string, number][] }>({ cmd: 'dump' })).arrivals,
    hanging: () => ask({ cmd: 'hanging' }),
    async waitForArrivals(target, deadline = Number.POSITIVE_INFINITY) {
      for (;;) {
        const arrived = await count();
        if (arrived >= target || performance.now() > deadline) return arrived;
        await sleep(20);
      }
    },
    close: () => child.disconnect(),
  };
}
