/**
 * Tells a frozen server from a busy one. Commands wait for their replies for as long as the
 * server is alive. When no reply at all has come for `silenceMs` while commands wait, the watch
 * asks `isUnreachable` (a PING on another connection, which no queue of ours delays): only a
 * server that does not answer that either is judged gone, and every waiting command is abandoned
 * at once (its caller falls back) and `onSilent` runs. A server that answers the PING is merely
 * busy, and its commands keep waiting, up to `maxSilenceMs` of silence on their own connection.
 * A per-command timeout cannot tell the two apart: under load a reply can take longer than any
 * sane timeout, and a blocked event loop fires the timeout before it reads a reply that has
 * already arrived.
 */
export interface SilenceWatch {
  /** Resolves or rejects as `command` does, or rejects when the server is judged gone first. */
  watch<T>(command: Promise<T>): Promise<T>;
  stop(): void;
}

export interface SilenceWatchOptions {
  silenceMs: number;
  maxSilenceMs: number;
  /** Resolves true when the server cannot be reached by other means either. */
  isUnreachable(): Promise<boolean>;
  onSilent(error: Error): void;
}

/**
 * Rejects when `promise` has not settled within `ms`. After a blocked event loop, timers run
 * before the poll phase reads replies that arrived meanwhile; setImmediate runs after it, so a
 * reply already in the socket still counts.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => setImmediate(() => {
      if (!settled) reject(new Error(`${what}: no answer within ${ms} ms`));
    }), ms);
    timer.unref();
    promise.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export function createSilenceWatch(options: SilenceWatchOptions): SilenceWatch {
  const { silenceMs } = options;
  const waiting = new Set<(error: Error) => void>();
  let lastHeardMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let asking = false;

  const heard = () => {
    lastHeardMs = performance.now();
  };
  const silentFor = () => (waiting.size > 0 ? performance.now() - lastHeardMs : 0);

  function abandonAll(error: Error): void {
    for (const abandon of [...waiting]) abandon(error);
    options.onSilent(error);
  }

  function check(): void {
    if (waiting.size === 0) {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    if (asking || silentFor() < silenceMs) return;
    // As in withDeadline: let replies already in the socket be read before judging.
    setImmediate(() => {
      const silence = silentFor();
      if (asking || silence < silenceMs) return;
      if (silence >= options.maxSilenceMs) return abandonAll(new Error(`Redis sent no reply for ${Math.round(silence)} ms`));
      asking = true;
      options.isUnreachable().then(
        (unreachable) => {
          asking = false;
          if (unreachable && silentFor() >= silenceMs) abandonAll(new Error(`Redis sent no reply for ${silenceMs} ms and did not answer a PING`));
        },
        () => {
          asking = false;
        },
      );
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
