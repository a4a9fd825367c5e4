import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs `runOnce` at start and then every `intervalMs`, one pass at a time: a pass still running
 * when the next is due is not doubled. A failed pass is logged and the next one tries again; stop
 * waits for the pass in progress.
 */
export function periodic<T>(runOnce: () => Promise<T>, options: { intervalMs: number; logger: FastifyBaseLogger; failure: string }) {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | null = null;

  function tick(): void {
    if (current) return;
    current = runOnce()
      .catch((error: unknown) => options.logger.error({ err: error }, options.failure))
      .finally(() => {
        current = null;
      });
  }

  return {
    runOnce,
    start() {
      tick();
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
