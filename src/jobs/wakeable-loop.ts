/**
 * A background loop that runs when woken (a NOTIFY on its channel, an explicit wake()), at a
 * time it asked for, or on a slow backstop poll. Wake-ups that arrive while it runs coalesce
 * into one more run, so a burst of notifications costs one pass, not one pass each.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.ts';
import { outsideAnyTrace } from '../observability/tracer.ts';

export interface WakeableLoopOptions {
  name: string;
  logger: FastifyBaseLogger;
  database: Pick<Database, 'listen'>;
  channel: string;
  pollIntervalMs: number;
  /** One pass. May answer the wall-clock time at which it wants to run next. */
  run: () => Promise<Date | null | void>;
}

export interface WakeableLoop {
  start(): Promise<void>;
  wake(): void;
  /** Stops waking; waits for a pass under way. */
  stop(): Promise<void>;
}

export function createWakeableLoop(options: WakeableLoopOptions): WakeableLoop {
  const { logger, pollIntervalMs } = options;
  let started = false;
  let stopped = false;
  let current: Promise<void> | null = null;
  let again = false;
  let poll: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  function schedule(at: Date | null | void): void {
    clearTimeout(timer);
    timer = undefined;
    if (!at || stopped) return;
    const delay = Math.max(0, Math.min(at.getTime() - Date.now(), pollIntervalMs));
    timer = setTimeout(wake, delay);
    timer.unref();
  }

  async function pass(): Promise<void> {
    do {
      again = false;
      try {
        schedule(await options.run());
      } catch (error) {
        // The next wake-up or the backstop poll tries again.
        logger.error({ err: error }, `${options.name} pass failed`);
      }
    } while (again && !stopped);
  }

  function wake(): void {
    if (!started || stopped) return;
    if (current) {
      again = true;
      return;
    }
    current = outsideAnyTrace(pass).finally(() => {
      current = null;
    });
  }

  return {
    async start() {
      if (started) return;
      started = true;
      try {
        unlisten = await options.database.listen(options.channel, wake, {
          onLost: (error) => logger.warn({ err: error }, `${options.name}: LISTEN connection lost; reconnecting, polling meanwhile`),
          // Notifications sent while it was away are gone: look for their work now.
          onReconnect: () => {
            logger.info(`${options.name}: LISTEN connection re-established`);
            wake();
          },
        });
      } catch (error) {
        logger.warn({ err: error }, `${options.name}: LISTEN failed; relying on the poll`);
      }
      poll = setInterval(wake, pollIntervalMs);
      poll.unref();
      wake();
    },
    wake,
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(timer);
      await unlisten?.().catch(() => undefined);
      await current;
    },
  };
}
