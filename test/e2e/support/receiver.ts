// A local webhook receiver: records every request (raw body and headers) and answers 200 or,
// when told to fail, 500 with a recognisable body.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  answeredWith: number;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  setFailing(failing: boolean): void;
  /** Waits for a request matching `predicate` among those received from index `from` on. */
  waitFor(predicate: (r: ReceivedRequest) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export const FAILING_BODY = 'receiver is down for maintenance';

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let failing = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failing ? 500 : 200;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), answeredWith: status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(failing ? FAILING_BODY : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFailing(value) {
      failing = value;
    },
    async waitFor(predicate, { from = 0, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = requests.slice(from).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`The receiver got no matching request in ${timeoutMs} ms (${requests.length} received)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
