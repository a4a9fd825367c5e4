/**
 * Tells a frozen server from a busy one. Commands wait for their replies for as long as the
 * server keeps answering something; only when no reply at all has come for `silenceMs` while
 * commands wait is the server judged silent: every waiting command is abandoned at once (its
 * caller falls back) and `onSilent` runs. A per-command timeout cannot tell the two apart: under
 * load a reply can take longer than any sane timeout, and a blocked event loop fires the timeout
 * before it reads a reply that has already arrived.
 */
export interface SilenceWatch {
  /** Resolves or rejects as `command` does, or rejects when the server falls silent first. */
  watch<T>(command: Promise<T>): Promise<T>;
  stop(): void;
}

export function createSilenceWatch(options: { silenceMs: number; onSilent(error: Error): void }): SilenceWatch {
  const { silenceMs } = options;
  const waiting = new Set<(error: Error) => void>();
  let lastHeardMs = 0;
  let timer: NodeJS.Timeout | undefined;

  const heard = () => {
    lastHeardMs = performance.now();
  };
  const silent = () => waiting.size > 0 && performance.now() - lastHeardMs >= silenceMs;

  function check(): void {
    if (waiting.size === 0) {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    if (!silent()) return;
    // After a blocked event loop, timers run before the poll phase reads replies that arrived
    // meanwhile; setImmediate runs after it, so a reply already in the socket counts.
    setImmediate(() => {
      if (!silent()) return;
      const error = new Error(`Redis sent no reply for ${silenceMs} ms`);
      for (const abandon of [...waiting]) abandon(error);
      options.onSilent(error);
    });
  }

  return {
    watch<T>(command: Promise<T>): Promise<T> {
      // Silence is counted from the moment something waits, not from the last reply long ago.
      if (waiting.size === 0) heard();
      if (!timer) {
        timer = setInterval(check, Math.max(10, Math.floor(silenceMs / 5)));
        timer.unref();
      }
      return new Promise<T>((resolve, reject) => {
        const abandon = (error: Error) => {
          waiting.delete(abandon);
          reject(error);
        };
        waiting.add(abandon);
        command.then(
          (value) => {
            heard();
            if (waiting.delete(abandon)) resolve(value);
          },
          (error: unknown) => {
            heard();
            if (waiting.delete(abandon)) reject(error);
          },
        );
      });
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
