// A real webhook endpoint on 127.0.0.1: records every request and answers as the test scripts it,
// including the misbehaviours a sender must survive (never answering, a body that never ends).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The request target, query included. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The status it was answered with, or 'hang'. */
  answeredWith: number | 'hang';
  at: number;
}

/**
 * How to answer one request. 'hang' never answers (until `release` or `close`); `unfinished`
 * sends the status, headers and body but never ends the response.
 */
export type Answer = { status: number; headers?: Record<string, string>; body?: string; unfinished?: boolean } | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** TCP (or TLS) connections accepted so far. */
  connections: number;
  /** Answer every request from now on with this status and body (default "ok", or "error <status>"). */
  answer(status: number, body?: string): void;
  /** Decide each answer from the request. */
  answerWith(answer: (request: ReceivedRequest) => Answer): void;
  /** Ends every hanging or unfinished response with 200. */
  release(): void;
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first request that matches, among those from index `from` on. */
  waitFor(predicate: (request: ReceivedRequest) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<ReceivedRequest>;
  /** Stops listening and drops every connection; calling it again does nothing. */
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** The first answer (default 200 "ok"). */
  answer?: (request: ReceivedRequest) => Answer;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: Buffer | string; cert: Buffer | string };
}

export async function startWebhookReceiver(options: ReceiverOptions = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const open = new Set<http.ServerResponse>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let decide = options.answer ?? (() => ({ status: 200 }));
  const server = options.tls ? https.createServer(options.tls) : http.createServer();
  server.on(options.tls ? 'secureConnection' : 'connection', () => receiver.connections++);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answeredWith: 'hang',
        at: Date.now(),
      };
      const reply = decide(request);
      if (reply !== 'hang') request.answeredWith = reply.status;
      requests.push(request);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
      respond(res, reply, open);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: WebhookReceiver = {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    connections: 0,
    answer(status, body) {
      decide = () => ({ status, ...(body === undefined ? {} : { body }) });
    },
    answerWith(next) {
      decide = next;
    },
    release() {
      for (const res of open) {
        if (res.headersSent) res.end();
        else res.writeHead(200).end('late ok');
      }
      open.clear();
    },
    waitForRequests(count, timeoutMs = 15_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async waitFor(predicate, { from = 0, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.slice(from).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching request in ${timeoutMs} ms (${requests.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receiver;
}

function respond(res: http.ServerResponse, reply: Answer, open: Set<http.ServerResponse>): void {
  if (reply === 'hang' || reply.unfinished) {
    open.add(res);
    res.on('close', () => open.delete(res));
  }
  if (reply === 'hang') return;
  const body = reply.body ?? (reply.status < 300 ? 'ok' : `error ${reply.status}`);
  // Headers are set, not written with writeHead, so that a finished body gets its Content-Length.
  res.statusCode = reply.status;
  res.setHeader('content-type', 'text/plain');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.unfinished) res.write(body);
  else res.end(body);
}
