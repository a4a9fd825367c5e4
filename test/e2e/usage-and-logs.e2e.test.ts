// Settings → API shows a key's requests per hour by outcome against its limit; Settings → Logs
// lists the requests, filters them, opens one and copies its request id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createAgency, type TestAgency } from '../support/fixtures.ts';
import { startStack, type Stack } from './support/stack.ts';
import { eventually, launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';

describe('usage history and the request log in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let t: TestPage;
  let agency: TestAgency;
  let key: { id: string; key: string };
  const statuses: number[] = [];

  async function call(path: string): Promise<void> {
    const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${key.key}` } });
    await response.arrayBuffer();
    statuses.push(response.status);
  }

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    // An hourly limit of 60, so the chart draws the limit line over the bars.
    agency = await createAgency(stack.app, { tier: 'enterprise', name: 'Harbor Light Agency', api_rate_limit: 60 });
    key = await stack.createKey(agency, 'CRM sync', ['locations:read']);
    for (let i = 0; i < 50; i++) await call('/api/v1/locations');
    for (let i = 0; i < 6; i++) await call('/api/v1/locations/loc_01jd5m0d9d6v3fw8p3n4q7r2s1');
    for (let i = 0; i < 3; i++) await call('/api/v1/leads?status=new');
    for (let i = 0; i < 8; i++) await call('/api/v1/locations?limit=5');
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // The instance writes every few seconds; the test does not wait for the timer.
    await stack.app.ctx.services.usageRecorder.flush();
  });

  afterAll(async () => {
    await t?.close();
    await browser?.close();
    await stack?.close();
  });

  it('draws the key’s hourly requests stacked by outcome, with its limit', async () => {
    t = await openPage(browser, stack.url, 'usage-and-logs');
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);
    const chart = page.getByTestId('usage-chart');
    await chart.waitFor();
    const svg = chart.getByRole('img', { name: /Requests per hour for CRM sync/ });
    await svg.waitFor();
    const perHour = await chart.locator('g[data-requests]').evaluateAll((groups) => groups.map((g) => Number(g.getAttribute('data-requests'))));
    expect(perHour).toHaveLength(24);
    expect(perHour.reduce((a, b) => a + b, 0)).toBe(statuses.length);
    // One bar segment per outcome present: succeeded, client errors, rate limited.
    expect(await chart.locator('rect.outcome-ok').count()).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('rect.outcome-client').count()).toBeGreaterThanOrEqual(1);
    expect(await chart.locator('rect.outcome-limited').count()).toBeGreaterThanOrEqual(1);
    // SVG text has no innerText: read its textContent.
    await eventually(() => chart.getByTestId('usage-limit-line').textContent(), (text) => text === 'Limit 60/h', 'the limit line');
    expect(await svg.locator('desc').textContent()).toMatch(new RegExp(`^${statuses.length} requests`));
    await t.shot('usage-24h');

    // The same numbers as a table, and the last 7 days.
    await chart.getByText('Show as a table').click();
    const table = chart.getByRole('table', { name: /Requests per hour for CRM sync/ });
    await waitForText(table, new RegExp(`\\b${statuses.length}\\b`));
    await page.getByRole('group', { name: 'Time range' }).getByRole('button', { name: '7 days' }).click();
    await eventually(() => chart.locator('g[data-requests]').count(), (n) => n === 24 * 7, '168 hourly bars');
    await t.shot('usage-7d');
  });

  it('lists the requests on the Logs page, filters them, opens one and copies its request id', async () => {
    const { page } = t;
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Logs' }).click();
    await page.waitForURL('**/settings/logs');
    const table = page.getByRole('table', { name: 'API requests' });
    await table.waitFor();
    const rows = table.locator('tbody tr');
    // Newest first, 50 a page, more on demand.
    await eventually(() => rows.count(), (n) => n === 50, 'the first page of 50 requests');
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(() => rows.count(), (n) => n === statuses.length, 'every request');
    await t.shot('logs');

    await page.getByLabel('Status', { exact: true }).selectOption('4xx');
    await eventually(() => rows.count(), (n) => n === 13, 'the 4xx requests (6 not found, 3 forbidden, 4 rate limited)');
    await page.getByLabel('Status', { exact: true }).selectOption('429');
    await eventually(() => rows.count(), (n) => n === 4, 'the rate-limited requests');
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Path starts with', { exact: true }).fill('/api/v1/leads');
    await page.getByLabel('Path starts with', { exact: true }).press('Enter');
    await eventually(() => rows.count(), (n) => n === 3, 'the leads requests');
    expect(await rows.first().innerText()).toMatch(/GET \/api\/v1\/leads\?status=new[\s\S]*403/);
    await page.getByLabel('API key', { exact: true }).selectOption(key.id);
    await eventually(() => rows.count(), (n) => n === 3, 'the key’s leads requests');
    await t.shot('logs-filtered');

    // Open one: its detail, and the request id to copy.
    const rowRequestId = await rows.first().locator('td[data-label="Request ID"] code').innerText();
    await rows.first().getByRole('button', { name: /Open GET \/api\/v1\/leads/ }).click();
    const dialog = page.getByRole('dialog', { name: /GET \/api\/v1\/leads/ });
    await dialog.waitFor();
    await waitForText(dialog.getByTestId('request-log-detail'), /Client address/);
    expect(await dialog.getByTestId('detail-request-id').innerText()).toBe(rowRequestId);
    expect(rowRequestId).toMatch(/^req_[0-9a-f]{24}$/);
    await t.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await dialog.getByRole('button', { name: 'Copy request ID' }).click();
    await waitForText(dialog, /Copied to clipboard/);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(rowRequestId);
    expect(await dialog.innerText()).not.toContain(key.key);
    await t.shot('log-detail');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    // A time range with nothing in it.
    await page.getByLabel('From', { exact: true }).fill('2030-01-01T00:00');
    await page.getByText('No requests match these filters').waitFor();
    expect(t.pageErrors).toEqual([]);
  });
});
