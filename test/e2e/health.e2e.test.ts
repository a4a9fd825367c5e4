// Endpoint charts and health alerts in a real browser: an endpoint with succeeded and retrying
// deliveries shows them in its activity charts (24 h and 7 d); another endpoint answers 410 Gone,
// FARO disables it and the alert banner appears on every page with a link to it; enabling it
// again resolves the alert and the banner goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from './support/stack.ts';
import { eventually, launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';

describe('endpoint charts and the alert banner in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let t: TestPage;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    receiver = await startWebhookReceiver({ answer: (request) => (request.path === '/gone' ? { status: 410 } : { status: 200 }) });
  });

  afterAll(async () => {
    await t?.close();
    await browser?.close();
    await receiver?.close();
    await stack?.close();
  });

  it('charts an endpoint’s deliveries and latency; shows an alert banner until the disabled endpoint is enabled again', async () => {
    const agency = await stack.createAgency({ tier: 'scale' });
    const key = await stack.createKey(agency, 'e2e', [...SCOPES]);
    const subscribe = async (path: string, events: string[]) => {
      const response = await stack.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: { authorization: `Bearer ${key.key}` }, payload: { url: `${receiver.url}${path}`, events } });
      expect(response.statusCode).toBe(201);
      return response.json<{ id: string }>().id;
    };
    const charted = await subscribe('/charted', ['review.created']);
    const doomed = await subscribe('/gone', ['lead.converted']);

    // Three deliveries succeed, then the endpoint fails and two wait for their retry.
    for (let i = 0; i < 3; i++) await stack.simulate(agency.id, 'review.created');
    await receiver.waitForRequests(3);
    receiver.answerWith((request) => (request.path === '/gone' ? { status: 410 } : { status: 500 }));
    for (let i = 0; i < 2; i++) await stack.simulate(agency.id, 'review.created');
    await receiver.waitForRequests(5);
    // And the other endpoint answers 410 Gone: FARO disables it and raises faro.endpoint.disabled.
    await stack.simulate(agency.id, 'lead.converted');
    await receiver.waitFor((request) => request.path === '/gone');

    t = await openPage(browser, stack.url, 'health');
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);
    const banner = page.getByTestId('alert-banner');
    await waitForText(banner, /Webhook endpoint .*\/gone was disabled: The endpoint answered 410 Gone/);
    await t.shot('alert-banner');

    await banner.getByRole('link', { name: 'Open endpoint' }).click();
    await page.waitForURL(`**/settings/webhooks/${doomed}`);
    await waitForText(page.getByTestId('subscription-status'), /Disabled/i);

    await page.goto(`/settings/webhooks/${charted}`);
    const charts = page.getByRole('region', { name: 'Activity' });
    const deliveriesChart = charts.getByRole('img', { name: /Deliveries per hour over the last 24 hours/ });
    await deliveriesChart.waitFor();
    // The description a screen reader reads carries the totals; the bars are drawn per outcome.
    await eventually(
      () => deliveriesChart.getAttribute('aria-labelledby').then((ids) => page.locator(`[id="${ids!.split(' ')[1]}"]`).textContent()),
      (text) => /3 succeeded, 2 retrying and 0 failed/.test(text ?? ''),
      'the chart description to count the deliveries',
    );
    expect(await deliveriesChart.locator('rect[data-series="succeeded"]').count()).toBeGreaterThan(0);
    expect(await deliveriesChart.locator('rect[data-series="retrying"]').count()).toBeGreaterThan(0);
    const latencyChart = charts.getByRole('img', { name: /Attempt latency per hour/ });
    expect(await latencyChart.locator('[data-series="latency_p50_ms"] circle, [data-series="latency_p50_ms"] polyline').count()).toBeGreaterThan(0);
    await charts.getByText('Show as a table').click();
    const table = charts.getByTestId('delivery-stats-table');
    const row = table.locator('tbody tr').first();
    expect((await row.locator('td').allInnerTexts()).slice(0, 3)).toEqual(['3', '2', '0']);
    await t.shot('endpoint-charts-24h');

    await charts.getByRole('button', { name: '7 days' }).click();
    await charts.getByRole('img', { name: /Deliveries per hour over the last 7 days/ }).waitFor();
    await t.shot('endpoint-charts-7d');

    // Enabling the disabled endpoint resolves its alert: the banner goes.
    await page.goto(`/settings/webhooks/${doomed}`);
    await banner.waitFor(); // loaded again with the page: still open
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await waitForText(page.getByTestId('subscription-status'), /Enabled|Active/i);
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/settings/webhooks');
    await eventually(() => banner.count(), (n) => n === 0, 'the banner to go once the alert is resolved');
    await t.shot('alert-resolved');
    expect(t.pageErrors).toEqual([]);
  });
});
