/**
 * A LISTEN connection that outlives its connection: when Postgres restarts, fails over or the
 * network drops it, it reconnects with backoff and LISTENs again. Notifications sent while it
 * was away are lost (NOTIFY is not queued for absent listeners), so `onReconnect` tells the
 * consumer to catch up: a worker makes a pass, a key cache forgets everything.
 */
import pg from 'pg';

export interface ListenHandlers {
  onPayload(payload: string): void;
  /** Listening again after a lost connection; whatever was sent meanwhile was missed. */
  onReconnect?(): void;
  /** The connection was lost; reconnecting has begun. */
  onLost?(error: unknown): void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export async function listenWithReconnect(
  config: pg.ClientConfig,
  channel: string,
  handlers: ListenHandlers,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client(config);
    next.on('notification', (message) => {
      if (message.channel === channel) handlers.onPayload(message.payload ?? '');
    });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('LISTEN connection ended')));
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
  }

  function lost(which: pg.Client, error: unknown): void {
    if (closed || which !== client) return;
    client = undefined;
    void which.end().catch(() => undefined);
    handlers.onLost?.(error);
    retryLater();
  }

  function retryLater(): void {
    retryTimer = setTimeout(() => {
      connect().then(
        () => {
          retryMs = FIRST_RETRY_MS;
          if (!closed) handlers.onReconnect?.();
        },
        () => {
          retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
          if (!closed) retryLater();
        },
      );
    }, retryMs);
    retryTimer.unref();
  }

  await connect();
  return async () => {
    closed = true;
    clearTimeout(retryTimer);
    const last = client;
    client = undefined;
    await last?.end().catch(() => undefined);
  };
}
