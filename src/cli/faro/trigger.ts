/** `faro trigger <event-type>`: make an event happen in the test-mode sandbox (test keys only). */
import { parseArgs } from 'node:util';
import { CliError, CONNECTION_HELP, CONNECTION_OPTIONS, callApi, connectionFrom, refusal } from './common.ts';

export const TRIGGER_HELP = `Usage: faro trigger EVENT_TYPE

Runs the real domain action behind an event in your test-mode sandbox (POST /api/v1/test/events,
a faro_test_ key), so the event reaches your subscriptions and \`faro listen\`. Prints the event id
and the id of the resource it created.

Event types: conversation.created, message.received, review.created, lead.converted, sync.failed

Options:
${CONNECTION_HELP}`;

export async function trigger(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: CONNECTION_OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    console.log(TRIGGER_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError('name one event type, e.g. `faro trigger review.created`', 2);
  const connection = connectionFrom(values, env);
  const response = await callApi(connection, '/api/v1/test/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: positionals[0] }),
  });
  if (response.status !== 201) throw await refusal(response);
  const created = (await response.json()) as { event_id: string; type: string; resource: { id?: string } };
  console.log(`Triggered ${created.type}: event ${created.event_id}, resource ${created.resource.id ?? '(none)'}`);
  return 0;
}
