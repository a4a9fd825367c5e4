// Scenario 2: create a webhook pointing at a local receiver → send a test event from the UI →
// the receiver got it and its signature verifies → the delivery shows in the log with its
// response code → the receiver fails, an event happens, the failed attempt and the next retry
// show → the receiver is fixed, Redeliver → success.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { startStack, type Stack } from './support/stack.ts';
import { eventually, focused, launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.ts';

/** What the receiver answers while it is down; the attempt log must show it. */
const FAILING_BODY = 'receiver is down for maintenance';

function verify(secret: string, request: ReceivedRequest): { id: string; type: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(request.body, request.headers) as { id: string; type: string; data: Record<string, unknown> };
}

describe('Settings → Webhooks in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let t: TestPage;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await t?.close();
    await browser?.close();
    await receiver?.close();
    await stack?.close();
  });

  it('delivers a signed test event, shows a failing delivery, and redelivers it', async () => {
    const agency = await stack.createAgency({ tier: 'scale' });
    t = await openPage(browser, stack.url, 'webhooks');
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);

    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/settings/webhooks');
    await page.getByText('No webhook endpoints yet').waitFor();
    await t.shot('webhooks-empty');
    const guideLink = page.getByRole('link', { name: /Guide: receiving and verifying webhooks/ });
    expect(await guideLink.getAttribute('href')).toBe('/docs/webhooks');

    // Create the endpoint; a bad URL is rejected with a reason first.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('dialog', { name: 'Add webhook endpoint' });
    await form.waitFor();
    expect((await focused(page)).id).toBe('webhook-url');
    // Catalog descriptions show their backticked words as code, not as raw backticks.
    const description = form.locator('#event-conversation\\.created-desc');
    expect(await description.locator('code').allInnerTexts()).toEqual(['data']);
    expect(await description.innerText()).not.toContain('`');
    await form.getByLabel('Endpoint URL').fill('not a url');
    await form.getByRole('checkbox', { name: 'review.created' }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await waitForText(form, /Enter a full URL/);
    const hookUrl = `${receiver.url}/faro-hook`;
    await form.getByLabel('Endpoint URL').fill(hookUrl);
    await form.getByLabel('Description (optional)').fill('E2E receiver');
    await t.shot('create-form');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await page.waitForURL(/\/settings\/webhooks\/whsub_/);
    await page.getByRole('heading', { level: 1, name: hookUrl }).waitFor();

    // Reveal the signing secret.
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secretField = page.getByLabel('Secret', { exact: true });
    const secret = await eventually(() => secretField.inputValue(), (v) => /^whsec_[A-Za-z0-9+/]{43}=$/.test(v), 'the revealed secret');
    await t.shot('detail-secret');

    // Send a test event and see the outcome inline.
    const testPanel = page.getByRole('region', { name: 'Send a test event' });
    await testPanel.getByLabel('Event type').selectOption('webhook.test');
    await testPanel.getByRole('button', { name: 'Send test event' }).click();
    const outcome = page.getByTestId('test-outcome');
    await waitForText(outcome, /Delivered · HTTP 200/);
    const testRequest = await receiver.waitFor((r) => r.path === '/faro-hook');
    expect(testRequest.headers['user-agent']).toMatch(/^FARO-Webhooks\//);
    const testEvent = verify(secret, testRequest);
    expect(testEvent.type).toBe('webhook.test');

    const log = page.getByRole('region', { name: 'Deliveries', exact: true });
    const deliveries = log.getByRole('table', { name: 'Deliveries' });
    const testRow = deliveries.getByRole('row', { name: /webhook\.test/ });
    await waitForText(testRow, /succeeded/i);
    expect(await testRow.innerText()).toMatch(/200/);
    // The endpoint's health shows the test as the latest activity, marked as a test, and counts no delivery.
    const lastDelivery = page.getByTestId('last-delivery');
    await waitForText(lastDelivery, /test\s*Succeeded/i);
    expect(await lastDelivery.innerText()).toMatch(/no event delivered yet/);
    expect(await page.getByText('No deliveries in 24 h').count()).toBe(1);
    await t.shot('test-delivered');

    // The receiver goes down and a real event happens.
    receiver.answer(500, FAILING_BODY);
    const before = receiver.requests.length;
    const { event_id: eventId } = await stack.simulate(agency.id, 'review.created');
    const failed = await receiver.waitFor((r) => r.headers['webhook-id'] === eventId, { from: before });
    expect(failed.answeredWith).toBe(500);
    expect(verify(secret, failed).type).toBe('review.created');

    await log.getByRole('button', { name: 'Refresh' }).click();
    const reviewRow = deliveries.getByRole('row', { name: /review\.created/ });
    await waitForText(reviewRow, /500/);
    const rowText = await reviewRow.innerText();
    expect(rowText).toMatch(/pending|failed/i);

    // The status filter narrows the log.
    await log.getByLabel('Status', { exact: true }).selectOption('succeeded');
    await eventually(() => deliveries.getByRole('row', { name: /review\.created/ }).count(), (n) => n === 0, 'the filter to hide the failing delivery');
    expect(await deliveries.getByRole('row', { name: /webhook\.test/ }).count()).toBe(1);
    await log.getByLabel('Status', { exact: true }).selectOption('');
    await reviewRow.waitFor();

    // Open the delivery: the failed attempt with its request headers, response and the next retry.
    await reviewRow.getByRole('link').click();
    await page.waitForURL(/delivery=whdel_/);
    const detail = page.getByTestId('delivery-detail');
    const firstAttempt = detail.getByTestId('delivery-attempt').first();
    await waitForText(firstAttempt, /Attempt 1/);
    const attemptText = await firstAttempt.innerText();
    expect(attemptText).toMatch(/HTTP 500/);
    expect(attemptText).toContain(FAILING_BODY);
    expect(attemptText).toContain(eventId);
    expect(attemptText).toMatch(/webhook-signature/);
    expect(await detail.getByLabel('Payload').innerText()).toContain(eventId);
    // Still failing, so it waits for its next retry (5 s after the first attempt, then 5 min).
    await waitForText(detail.getByTestId('delivery-status'), /Pending/);
    await waitForText(detail.getByTestId('next-retry'), /^(in \d+ (seconds?|minutes?)|now)$/);
    await t.shot('delivery-failed');
    // A delivery waiting for its retry after a 500 is not a success: 0 %, one retrying.
    await page.reload();
    await waitForText(page.getByTestId('success-rate'), /^0% succeeded · 1 delivery · 1 retrying$/);
    await t.shot('health-retrying');

    // Fix the receiver and redeliver from the UI.
    receiver.answer(200);
    const beforeRedeliver = receiver.requests.length;
    await detail.getByRole('button', { name: 'Redeliver' }).click();
    const redelivered = await receiver.waitFor((r) => r.headers['webhook-id'] === eventId && r.answeredWith === 200, { from: beforeRedeliver, timeoutMs: 20_000 });
    expect(verify(secret, redelivered).id).toBe(eventId);
    await waitForText(detail.getByTestId('delivery-status'), /succeeded/i, 20_000);
    await waitForText(detail, /HTTP 200/);
    await waitForText(reviewRow, /succeeded/i);
    await t.shot('delivery-redelivered');
    await page.reload();
    await waitForText(page.getByTestId('success-rate'), /^100% succeeded · 1 delivery$/);

    // A stale link to a delivery that does not exist: the error quotes the request's id for support.
    const missing = page.waitForResponse((r) => r.url().endsWith('/api/v1/webhook-deliveries/whdel_00000000000000000000000000'));
    await page.goto(`${new URL(page.url()).pathname}?delivery=whdel_00000000000000000000000000`);
    const missingResponse = await missing;
    expect(missingResponse.status()).toBe(404);
    const errorState = page.getByTestId('delivery-detail').getByRole('alert');
    await waitForText(errorState, /Request ID/);
    expect(await errorState.getByTestId('request-id').innerText()).toBe(missingResponse.headers()['request-id']);
    await t.shot('delivery-error-request-id');

    await page.setViewportSize({ width: 390, height: 844 });
    await t.shot('detail-phone');
    await page.setViewportSize({ width: 1366, height: 900 });

    // Settings → Audit log: what the owner did here, by whom and in which request; filterable.
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/settings/audit-log');
    const audit = page.getByRole('table', { name: 'Audit log' });
    await waitForText(audit, /Redelivered/);
    for (const action of ['webhook.created', 'webhook.secret_revealed', 'webhook_delivery.redelivered']) {
      const row = audit.locator(`tr[data-action="${action}"]`);
      expect(await row.count(), action).toBe(1);
      expect(await row.innerText()).toContain(agency.email);
      expect(await row.innerText()).toMatch(/req_[0-9a-f]{24}/);
    }
    await t.shot('audit-log');
    await page.getByLabel('Action').selectOption('webhook.secret_revealed');
    await eventually(() => audit.getByRole('row').count(), (n) => n === 2, 'one entry (and the header row)');
    expect(await audit.innerText()).toMatch(/Secret revealed/);
    await t.shot('audit-log-filtered');

    // The guide the Webhooks page links to, rendered under the CSP (its stylesheet loads).
    await page.goto('/docs/webhooks');
    await page.getByRole('heading', { level: 1, name: 'Receiving FARO webhooks' }).waitFor();
    await page.getByRole('link', { name: 'Allowed URLs' }).first().click();
    expect(page.url()).toMatch(/#allowed-urls$/);
    expect(await page.evaluate('getComputedStyle(document.querySelector("main.guide")).maxWidth')).not.toBe('none'); // its stylesheet applied
    await t.shot('webhook-guide');
    expect(t.pageErrors).toEqual([]);
    expect(t.cspViolations).toEqual([]);
  });
});
