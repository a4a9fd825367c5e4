// The local receiver of `npm run bench:webhooks`, in a process of its own so it does not share
// an event loop (or the memory figures) with the worker under test. Answers every POST with 204
// and, on request of the parent (IPC), counts arrivals and reports when each webhook-id arrived.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Command = { cmd: 'count' } | { cmd: 'record'; on: boolean } | { cmd: 'dump' } | { cmd: 'reset' };

let count = 0;
let recording = false;
let arrivals: [string, number][] = [];

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    if (recording) arrivals.push([String(req.headers['webhook-id']), Date.now()]);
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});

process.on('message', (message: Command) => {
  switch (message.cmd) {
    case 'count':
      return process.send!({ count });
    case 'record':
      recording = message.on;
      return process.send!({ ok: true });
    case 'dump': {
      const out = arrivals;
      arrivals = [];
      return process.send!({ arrivals: out });
    }
    case 'reset':
      count = 0;
      arrivals = [];
      return process.send!({ ok: true });
  }
});
process.on('disconnect', () => process.exit(0));
