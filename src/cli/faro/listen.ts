/**
 * `faro listen`: the agency's event stream forwarded to a local receiver, each event signed as
 * FARO signs its own webhook deliveries, so the receiver's verification code is tested for real.
 * A dropped stream is resumed after the last event seen (Last-Event-ID); Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildWebhookHeaders } from '../../domains/webhooks/delivery/signer.ts';
import { CliError, CONNECTION_HELP, CONNECTION_OPTIONS, callApi, connectionFrom, refusal } from './common.ts';
import { readSse } from './sse.ts';
import { listenSecret } from './secret.ts';

export const LISTEN_HELP = `Usage: faro listen --forward-to URL [--events TYPE,TYPE] [--print-json]

Streams your agency's events as they happen and forwards each one to a local URL as a signed
webhook (headers and body exactly as FARO's deliveries), printing one line per event. The
signing secret is made once and kept in $XDG_CONFIG_HOME/faro (or ~/.config/faro): verify with it.
A dropped connection is resumed without losing events; Ctrl-C stops.

Options:
  --forward-to URL  where to POST each event (e.g. http://localhost:8080/webhooks)
  --events LIST     only these event types, comma-separated (e.g. review.created,lead.converted)
  --print-json      print each event's JSON body on stdout instead of forwarding
${CONNECTION_HELP}`;

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
const FORWARD_TIMEOUT_MS = 30_000;

interface Message {
  id: string;
  event: string;
  data: string;
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}

export async function listen(argv: string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...CONNECTION_OPTIONS, 'forward-to': { type: 'string' }, events: { type: 'string' }, 'print-json': { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(LISTEN_HELP);
    return 0;
  }
  const printJson = values['print-json'] ?? false;
  const forwardTo = values['forward-to'];
  if (!printJson && !forwardTo) throw new CliError('--forward-to URL is required (or --print-json to print events instead)', 2);
  if (forwardTo && (!URL.canParse(forwardTo) || !/^https?:$/.test(new URL(forwardTo).protocol))) throw new CliError(`--forward-to "${forwardTo}" is not an http(s) URL`, 2);
  const connection = connectionFrom(values, env);
  const { secret, file } = listenSecret(env);
  const query = values.events ? `?types=${encodeURIComponent(values.events)}` : '';

  async function forward(message: Message): Promise<void> {
    const started = performance.now();
    let outcome: string;
    try {
      const headers = buildWebhookHeaders({ id: message.id, timestamp: Math.floor(Date.now() / 1000), body: message.data, secrets: [secret] });
      const response = await fetch(forwardTo!, { method: 'POST', headers: { ...headers }, body: message.data, signal: AbortSignal.any([signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]) });
      await response.arrayBuffer();
      outcome = String(response.status);
    } catch (error) {
      if (signal.aborted) return;
      outcome = `failed (${errorText(error)})`;
    }
    const ms = Math.round(performance.now() - started);
    console.log(`${new Date().toISOString()}  ${message.event}  ${message.id}  -> ${outcome} in ${ms} ms`);
  }

  let lastEventId: string | undefined;
  let ready = false;
  let backoff = FIRST_BACKOFF_MS;
  const retryLater = async (why: string) => {
    console.error(`Stream interrupted (${why}); reconnecting in ${backoff} ms`);
    await sleep(backoff, undefined, { signal }).catch(() => undefined);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };

  while (!signal.aborted) {
    let response: Response;
    try {
      const resume: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
      response = await callApi(connection, `/api/v1/events/stream${query}`, { headers: { accept: 'text/event-stream', ...resume }, signal });
    } catch (error) {
      if (signal.aborted) break;
      if (!ready) throw error;
      await retryLater(errorText(error));
      continue;
    }
    if (response.status !== 200 || !response.body) {
      const refused = await refusal(response);
      // A refusal of the request itself (key, scope, arguments) will not change by retrying.
      if (!ready || (response.status < 500 && response.status !== 429)) throw refused;
      await retryLater(refused.message);
      continue;
    }
    try {
      for await (const item of readSse(response.body as unknown as AsyncIterable<Uint8Array>)) {
        if (item.kind === 'comment') {
          if (item.text !== 'connected') continue;
          backoff = FIRST_BACKOFF_MS;
          if (!ready) {
            ready = true;
            const target = printJson ? 'printing events as JSON' : `forwarding events to ${forwardTo}`;
            console.error(`Ready! ${target}. Signing secret: ${secret} (kept in ${file}). Ctrl-C to stop.`);
          } else if (lastEventId) {
            console.error(`Reconnected; resuming after ${lastEventId}`);
          }
          continue;
        }
        if (!item.id || !item.event) continue;
        const message = { id: item.id, event: item.event, data: item.data };
        if (printJson) console.log(message.data);
        else await forward(message);
        lastEventId = message.id;
      }
      if (!signal.aborted) await retryLater('the server ended the stream');
    } catch (error) {
      if (signal.aborted) break;
      await retryLater(errorText(error));
    }
  }
  console.error('Stopped.');
  return 0;
}
