/**
 * One open event stream: Server-Sent Events on a raw HTTP response. Resuming after a
 * Last-Event-ID, it first replays what committed since (read from the outbox page by page,
 * waiting for the socket to drain), holding the hub's live events meanwhile; then it goes live.
 * Both sources are in commit order, so a position check makes the seam exact: no gap, no repeat.
 *
 * A client that reads slower than events come would make its socket buffer grow without bound:
 * past MAX_BUFFERED_BYTES it is sent a last comment and dropped, and resumes with Last-Event-ID.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { buildEventPayload } from './catalog.ts';
import { comparePositions, type StreamEvent, type StreamPosition } from './stream-repository.ts';
import type { EventStreamHub, StreamSubscriber } from './stream-hub.ts';

export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Live events held while a resume replays; more means the replay cannot keep up. */
const MAX_HELD_EVENTS = 10_000;
const REPLAY_PAGE = 200;

export interface StreamSessionOptions {
  hub: EventStreamHub;
  response: ServerResponse;
  agencyId: string;
  types: ReadonlySet<string>;
  /** Resume after this position (the Last-Event-ID's); live only when absent. */
  resumeAfter?: StreamPosition | undefined;
  /** The agency's events of `types` after a position, oldest first. */
  readAfter(after: StreamPosition, limit: number): Promise<StreamEvent[]>;
}

/** One SSE message: the event id, its type, and the webhook body on one `data:` line. */
export function sseFrame(event: StreamEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${buildEventPayload(event)}\n\n`;
}

export async function runStreamSession(options: StreamSessionOptions): Promise<void> {
  const { response, types } = options;
  let last = options.resumeAfter;
  let held: StreamEvent[] | null = options.resumeAfter ? [] : null;
  let ended = false;

  function end(comment: string): void {
    if (ended) return;
    ended = true;
    subscription.cancel();
    if (!response.destroyed) response.end(`: ${comment}\n\n`);
  }

  function send(event: StreamEvent): void {
    if (ended || (last && comparePositions(event.position, last) <= 0)) return;
    last = event.position;
    response.write(sseFrame(event));
  }

  const subscriber: StreamSubscriber = {
    agencyId: options.agencyId,
    onEvent(event) {
      if (ended || !types.has(event.type)) return;
      if (held) {
        held.push(event);
        if (held.length > MAX_HELD_EVENTS) end('dropped: too many events while catching up; reconnect with Last-Event-ID to resume');
        return;
      }
      send(event);
      if (response.writableLength > MAX_BUFFERED_BYTES) end('dropped: the client reads too slowly; reconnect with Last-Event-ID to resume');
    },
    onHeartbeat() {
      if (!ended) response.write(': heartbeat\n\n');
    },
    onClose() {
      end('the server is shutting down; reconnect with Last-Event-ID to resume');
    },
  };

  // Set once subscribed; an event or a close may come before that.
  const subscription = { cancel: () => undefined as void };
  response.on('close', () => {
    ended = true;
    subscription.cancel();
  });
  subscription.cancel = await options.hub.subscribe(subscriber);
  if (ended) return subscription.cancel();
  // The first bytes: the client knows it is subscribed, so whatever commits from now on reaches it.
  response.write(': connected\n\n');

  if (options.resumeAfter) {
    let after = options.resumeAfter;
    for (;;) {
      const page = await options.readAfter(after, REPLAY_PAGE);
      for (const event of page) send(event);
      if (ended || page.length < REPLAY_PAGE) break;
      after = page.at(-1)!.position;
      if (response.writableNeedDrain) await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
    const replayed = held ?? [];
    held = null;
    for (const event of replayed) send(event);
  }
}
