// The portal's test-mode switch in a real browser: it shows an orange TEST MODE band, lists the
// sandbox's keys and webhook endpoints instead of the live ones, survives a reload, and switches back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { adminHeaders, startStack, type Stack } from './support/stack.ts';
import { launchBrowser, loginThroughUi, openPage, type TestPage } from './support/browser.ts';

describe('the test-mode switch in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let t: TestPage;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await t?.close();
    await browser?.close();
    await stack?.close();
  });

  it('shows test keys and endpoints only in test mode, with a band, and keeps the mode across a reload', async () => {
    const agency = await stack.createAgency({ tier: 'scale', name: 'Harbor Test Agency' });
    await stack.createKey(agency, 'Live integration');
    const created = await fetch(`${stack.url}/admin/v1/agencies/${agency.id}/api-keys`, {
      method: 'POST',
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Sandbox integration', scopes: ['webhooks:write', 'webhooks:read', 'reviews:read'], mode: 'test' }),
    });
    expect(created.status).toBe(201);
    const testKey = ((await created.json()) as { key: string }).key;
    const subscribed = await fetch(`${stack.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://sandbox-receiver.example.com/hooks', events: ['review.created'] }),
    });
    expect(subscribed.status).toBe(201);
    expect(subscribed.headers.get('faro-mode')).toBe('test');

    t = await openPage(browser, stack.url, 'test-mode');
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);
    const band = page.getByTestId('test-mode-band');
    const toggle = page.getByRole('switch', { name: 'Test mode' });

    // Live mode: the live key, no band.
    await page.getByText('Live integration').first().waitFor();
    expect(await band.count()).toBe(0);
    expect(await page.getByText('Sandbox integration').count()).toBe(0);
    expect(await toggle.isChecked()).toBe(false);

    // Test mode: the band, the sandbox key (masked as faro_test_…), not the live one.
    await toggle.check();
    await band.waitFor();
    expect(await band.innerText()).toMatch(/TEST MODE/);
    await page.getByText('Sandbox integration').first().waitFor();
    expect(await page.getByText('Live integration').count()).toBe(0);
    expect(await page.locator('main').innerText()).toContain('faro_test_');
    const background = await band.evaluate(
      (element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor,
    );
    expect(background).toBe('rgb(242, 140, 40)');
    await t.shot('api-test-mode');

    // A reload keeps the mode; the webhooks page shows the sandbox's endpoint.
    await page.reload();
    await band.waitFor();
    await page.getByText('Sandbox integration').first().waitFor();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/settings/webhooks');
    await page.getByText('sandbox-receiver.example.com').first().waitFor();
    await t.shot('webhooks-test-mode');

    // Back to live: no band, no sandbox endpoint.
    await toggle.uncheck();
    await band.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('sandbox-receiver.example.com').count()).toBe(0);
    await page.getByRole('link', { name: 'API' }).click();
    await page.getByText('Live integration').first().waitFor();
    expect(await page.getByText('Sandbox integration').count()).toBe(0);
    await t.shot('api-live-mode');
    expect(t.pageErrors).toEqual([]);
  });
});
