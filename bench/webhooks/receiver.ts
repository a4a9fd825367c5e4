// The receivers of `npm run bench:webhooks`, in a process of their own so they share no event loop
// (nor the memory figures) with the worker under test. Two servers:
// - the fast one answers every POST with 204, counts arrivals (the bench's completion check, so it
//   polls no table) and, on request, records when each webhook-id arrived;
// - the hanging one reads the request and never answers, until the bench ends: an endpoint that
//   holds the sender's slot for its whole attempt timeout.
// The parent talks to it over IPC; every command carries an id that its answer repeats.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverCommand =
  | { cmd: 'count' }
  | { cmd: 'reset' }
  | { cmd: 'record'; on: boolean }
  | { cmd: 'dump' }
  | { cmd: 'hanging' };

let count = 0;
let recording = false;
let arrivals: [string, number][] = [];
let hangingOpen = 0;
let hangingTotal = 0;

const fast = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    if (recording) arrivals.push([String(req.headers['webhook-id']), Date.now()]);
    res.writeHead(204).end();
  });
});

const hanging = http.createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 60_000 }, (req) => {
  hangingOpen++;
  hangingTotal++;
  req.resume();
  req.socket.once('close', () => hangingOpen--);
});

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
const [port, hangingPort] = await Promise.all([listen(fast), listen(hanging)]);
process.send!({ port, hangingPort });

function answer(message: ReceiverCommand): object {
  switch (message.cmd) {
    case 'count':
      return { count };
    case 'reset':
      count = 0;
      arrivals = [];
      return { ok: true };
    case 'record':
      recording = message.on;
      return { ok: true };
    case 'dump': {
      const out = arrivals;
      arrivals = [];
      return { arrivals: out };
    }
    case 'hanging':
      return { open: hangingOpen, total: hangingTotal };
  }
}

process.on('message', (message: ReceiverCommand & { id: number }) => {
  process.send!({ id: message.id, ...answer(message) });
});
process.on('disconnect', () => process.exit(0));
