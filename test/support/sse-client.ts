// A real Server-Sent Events client over HTTP (fetch): it records every message and comment as the
// bytes arrive, so a test can wait for what it expects and see exactly what came, in order.
import { until } from './eventually.ts';

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseClient {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  comments: string[];
  /** True once the server ended the stream. */
  ended: boolean;
  waitForMessages(count: number, timeoutMs?: number): Promise<SseMessage[]>;
  waitForComment(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const client: SseClient = {
    status: response.status,
    headers: response.headers,
    messages: [],
    comments: [],
    ended: false,
    async waitForMessages(count, timeoutMs = 30_000) {
      await until(() => client.messages.length >= count || client.ended, `${count} SSE messages`, timeoutMs);
      return client.messages;
    },
    async waitForComment(pattern, timeoutMs = 30_000) {
      await until(() => client.comments.some((c) => pattern.test(c)), `an SSE comment matching ${pattern}`, timeoutMs);
      return client.comments.find((c) => pattern.test(c))!;
    },
    close: () => abort.abort(),
  };
  if (response.status !== 200 || !response.body) return client;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { id: undefined, event: undefined, data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, '');
              isMessage = true;
              if (field === 'id') message.id = value;
              else if (field === 'event') message.event = value;
              else if (field === 'data') message.data = message.data ? `${message.data}\n${value}` : value;
            }
          }
          if (isMessage) client.messages.push(message);
        }
      }
    } catch {
      // aborted by the test, or the connection dropped
    }
    client.ended = true;
  })();
  return client;
}
