import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { simulate } from '../support/fixtures.ts';
import { runCli, runCliToEnd, type CliProcess } from '../support/cli-process.ts';
import { createApiKey, type KeyOptions } from '../support/api-keys.ts';
import { buildEventPayload } from '../../src/domains/events/catalog.ts';
import { newCaller, type Caller } from '../webhooks/support.ts';

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('faro listen: the event stream forwarded, signed, to a local receiver', () => {
  let t: TestApp;
  let caller: Caller;
  let receiver: WebhookReceiver;
  let configHome: string;
  const running: CliProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    caller = await newCaller(t);
    receiver = await startWebhookReceiver();
    configHome = fs.mkdtempSync(path.join(os.tmpdir(), 'faro-cli-'));
    env = { FARO_API_KEY: caller.key, FARO_BASE_URL: t.url, XDG_CONFIG_HOME: configHome };
  });
  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await receiver?.close();
    await t?.close();
    fs.rmSync(configHome, { recursive: true, force: true });
  });

  function listen(args: string[]): CliProcess {
    const cli = runCli(['listen', ...args], env);
    running.push(cli);
    return cli;
  }

  const secretOf = (line: string) => /(whsec_[A-Za-z0-9+/=]+)/.exec(line)![1]!;
  const eventRow = (id: string) => t.ctx.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('forwards each event signed with the printed secret, as FARO delivers it, resumes after a drop, and stops on Ctrl-C', async () => {
    const cli = listen(['--forward-to', `${receiver.url}/hooks`, '--events', 'review.created,lead.converted']);
    const secret = secretOf(await cli.waitForLine(/Ready/));

    const review = await simulate(t.app, caller.agency.id, 'review.created');
    const request = await receiver.waitFor((r) => r.headers['webhook-id'] === review.event_id);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks');
    expect(request.body).toBe(buildEventPayload(await eventRow(review.event_id)));
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'FARO-Webhooks/1', 'webhook-id': review.event_id });
    expect(new Webhook(secret).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(request.body, request.headers)).toThrow();
    const line = await cli.waitForLine(new RegExp(review.event_id));
    expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z  review\\.created  ${review.event_id}  -> 200 in \\d+ ms$`));

    // The stream drops (the server closes every connection); what happens meanwhile still arrives, once, in order.
    t.app.server.closeAllConnections();
    const during = [await simulate(t.app, caller.agency.id, 'lead.converted'), await simulate(t.app, caller.agency.id, 'review.created')];
    await cli.waitForLine(/Reconnected; resuming after/);
    for (const event of during) await receiver.waitFor((r) => r.headers['webhook-id'] === event.event_id);
    const forwarded = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(forwarded).toEqual([review.event_id, ...during.map((e) => e.event_id)]);

    cli.child.kill('SIGINT');
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr.at(-1)).toBe('Stopped.');

    // The secret is kept (owner-only) and the same on the next run.
    const file = path.join(configHome, 'faro', 'listen-secret');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = listen(['--forward-to', `${receiver.url}/hooks`]);
    expect(secretOf(await again.waitForLine(/Ready/))).toBe(secret);
    again.child.kill('SIGINT');
    await again.exited;
  });

  it('--print-json prints each event\'s body instead of forwarding', async () => {
    const cli = listen(['--print-json', '--events', 'lead.converted']);
    await cli.waitForLine(/Ready/);
    const before = receiver.requests.length;
    const lead = await simulate(t.app, caller.agency.id, 'lead.converted');
    const printed = await cli.waitForLine(new RegExp(`"id":"${lead.event_id}"`));
    expect(printed).toBe(buildEventPayload(await eventRow(lead.event_id)));
    expect(receiver.requests.length).toBe(before);
    cli.child.kill('SIGINT');
    await cli.exited;
  });

  it('exits non-zero with one line for a bad key, a server that is down, and bad arguments', async () => {
    const forward = ['listen', '--forward-to', `${receiver.url}/hooks`];
    const down = await closedPort();
    const cases: { args: string[]; env: Record<string, string>; code: number; says: RegExp }[] = [
      { args: forward, env: { ...env, FARO_API_KEY: 'faro_live_0000000000000000000000000000000000000000' }, code: 1, says: /^faro: FARO answered 401 \((malformed|unknown)_api_key: / },
      { args: forward, env: { ...env, FARO_BASE_URL: `http://127.0.0.1:${down}` }, code: 1, says: new RegExp(`^faro: cannot reach FARO at http://127\\.0\\.0\\.1:${down} \\(ECONNREFUSED\\); is the server running\\?$`) },
      { args: ['listen'], env, code: 2, says: /^faro: --forward-to URL is required/ },
      { args: [...forward, '--events', 'review.deleted'], env, code: 1, says: /^faro: FARO answered 400 \(validation_failed: / },
      { args: ['listen', '--forward-to', 'localhost:8080'], env, code: 2, says: /is not an http\(s\) URL$/ },
      { args: forward, env: { XDG_CONFIG_HOME: configHome }, code: 2, says: /^faro: no API key: set FARO_API_KEY or pass --api-key$/ },
      { args: ['listen', '--bogus'], env, code: 2, says: /^faro: Unknown option '--bogus'/ },
      { args: ['frobnicate'], env, code: 2, says: /^faro: unknown command "frobnicate"/ },
      { args: ['trigger'], env, code: 2, says: /^faro: name one event type, e\.g\. `faro trigger review\.created`$/ },
      { args: ['trigger', 'review.created'], env: { ...env, FARO_BASE_URL: `http://127.0.0.1:${down}` }, code: 1, says: /^faro: cannot reach FARO at / },
    ];
    const results = await Promise.all(cases.map((c) => runCliToEnd(c.args, c.env)));
    cases.forEach((c, i) => {
      expect({ args: c.args, code: results[i]!.code, stderr: results[i]!.stderr }).toMatchObject({ code: c.code, stderr: [expect.stringMatching(c.says)] });
      expect(results[i]!.stdout).toEqual([]);
    });
  }, 120_000); // ten CLI processes start on a loaded machine

  it('faro trigger with a test key: the event happens in the sandbox and faro listen forwards it, signed', async () => {
    const testKey = (await createApiKey(t.app, caller.agency.id, { scopes: ['events:read', 'reviews:read'], mode: 'test' } as KeyOptions)).key;
    const testEnv = { ...env, FARO_API_KEY: testKey };
    const cli = runCli(['listen', '--forward-to', `${receiver.url}/sandbox`], testEnv);
    running.push(cli);
    const secret = secretOf(await cli.waitForLine(/Ready/));
    const triggered = await runCliToEnd(['trigger', 'review.created'], testEnv);
    expect(triggered.code).toBe(0);
    const [, eventId, resourceId] = /^Triggered review\.created: event (evt_\w+), resource (rev_\w+)$/.exec(triggered.stdout[0] ?? '') ?? [];
    expect(eventId, triggered.stdout.join('\n')).toBeDefined();
    const request = await receiver.waitFor((r) => r.headers['webhook-id'] === eventId);
    const body = new Webhook(secret).verify(request.body, request.headers) as { livemode: boolean; data: { id: string } };
    expect(body).toMatchObject({ livemode: false, data: { id: resourceId } });
    cli.child.kill('SIGINT');
    await cli.exited;

    const live = await runCliToEnd(['trigger', 'review.created'], env);
    expect(live).toMatchObject({ code: 1, stdout: [], stderr: [expect.stringMatching(/^faro: FARO answered 403 \(test_mode_only: /)] });
  }, 120_000);

  it('--help of each command', async () => {
    for (const args of [['--help'], ['listen', '--help'], ['trigger', '--help']]) {
      const result = await runCliToEnd(args, {});
      expect(result.code).toBe(0);
      expect(result.stdout[0]).toMatch(/^Usage: faro/);
    }
  }, 60_000);
});
