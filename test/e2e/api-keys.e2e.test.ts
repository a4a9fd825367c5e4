// Scenario 1: log in → generate a key → the key works against /api/v1/locations → revoke it in
// the UI → the same request now gets 401.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from './support/stack.ts';
import { eventually, focused, launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';

describe('Settings → API in a real browser', () => {
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

  it('generates a key that works, then revokes it so that it gets 401', async () => {
    const agency = await stack.createAgency({ tier: 'scale', name: 'Sunrise Dental Marketing' });
    t = await openPage(browser, stack.url, 'api-keys');
    const { page } = t;
    const callLocations = (key: string) =>
      fetch(`${stack.url}/api/v1/locations`, { headers: { authorization: `Bearer ${key}` } });

    await loginThroughUi(t, agency.email, agency.password);
    const header = page.getByRole('banner');
    await waitForText(header, /Sunrise Dental Marketing/);
    await waitForText(header, /Scale plan/);
    await page.getByText('No API keys yet').waitFor();
    const curl = await page.getByTestId('curl-example').innerText();
    expect(curl).toBe(`curl -H "Authorization: Bearer $FARO_API_KEY" ${stack.url}/api/v1/locations`);
    await t.shot('api-empty');

    // Escape closes a dialog; focus starts in its first field.
    await page.getByRole('button', { name: 'Generate key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Generate API key' });
    await dialog.waitFor();
    expect((await focused(page)).id).toBe('key-name');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // Generate. The shortcuts pick every read scope, every scope, or none.
    await page.getByRole('button', { name: 'Generate key' }).click();
    await dialog.getByLabel('Name').fill('E2E integration');
    const checkboxes = dialog.getByRole('checkbox');
    const checkedScopes = async () => {
      const names: string[] = [];
      for (const box of await checkboxes.all()) if (await box.isChecked()) names.push((await box.getAttribute('id'))!.replace(/^scope-/, ''));
      return names;
    };
    const allScopes = (await checkboxes.all()).length;
    expect(allScopes).toBeGreaterThanOrEqual(10);
    await dialog.getByRole('button', { name: 'All read scopes' }).click();
    const readScopes = await checkedScopes();
    expect(readScopes).toEqual(expect.arrayContaining(['locations:read', 'reviews:read', 'audit:read']));
    expect(readScopes.every((scope) => scope.endsWith(':read'))).toBe(true);
    expect(readScopes).toHaveLength(allScopes - 2); // all but leads:write and webhooks:write
    await dialog.getByRole('button', { name: 'All scopes' }).click();
    expect(await checkedScopes()).toHaveLength(allScopes);
    await dialog.getByRole('button', { name: 'Clear' }).click();
    expect(await checkedScopes()).toEqual([]);
    await dialog.getByRole('checkbox', { name: 'locations:read' }).check();
    await dialog.getByRole('checkbox', { name: 'reviews:read' }).check();
    await t.shot('generate-dialog');
    await dialog.getByRole('button', { name: 'Generate key' }).click();

    const showOnce = page.getByRole('dialog', { name: 'Your new API key' });
    await showOnce.waitFor();
    await waitForText(showOnce, /will not be shown again/i);
    const key = await showOnce.getByLabel(/API key/).inputValue();
    expect(key).toMatch(/^faro_live_[A-Za-z0-9]{38}$/);
    // The first request, with the new key filled in, ready to copy and run.
    const tryIt = await showOnce.getByTestId('show-once-curl').innerText();
    expect(tryIt).toBe(`curl -H "Authorization: Bearer ${key}" ${stack.url}/api/v1/locations`);
    await t.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await showOnce.getByRole('button', { name: 'Copy command' }).click();
    await waitForText(showOnce, /Copied to clipboard/);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(tryIt);
    const { stdout } = await promisify(execFile)('sh', ['-c', `${tryIt} --silent --show-error --fail`]);
    expect(JSON.parse(stdout)).toMatchObject({ data: expect.any(Array) });
    await t.shot('show-once');
    await showOnce.getByRole('button', { name: 'I have copied the key' }).click();
    await showOnce.waitFor({ state: 'hidden' });

    const row = page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: /E2E integration/ });
    await waitForText(row, /Active/);
    const rowText = await row.innerText();
    expect(rowText).toContain(key.slice(0, 10));
    expect(rowText).not.toContain(key); // only the masked form is listed
    expect(rowText).toMatch(/locations:read/);

    // The key works from outside the browser.
    const ok = await callLocations(key);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { data: unknown[] };
    expect(Array.isArray(body.data)).toBe(true);

    // After a reload the usage bar counts that request and "Last used" is set.
    await eventually(
      async () => {
        await page.reload();
        await row.waitFor();
        return row.locator('[data-field="last-used"]').innerText();
      },
      (text) => /^Last used /.test(text) && text !== 'Last used never',
      '"Last used" to be recorded',
    );
    const meter = page.getByRole('meter', { name: /E2E integration/ });
    await eventually(() => meter.getAttribute('aria-valuenow'), (v) => Number(v) >= 1, 'usage of at least 1 request');
    await t.shot('key-used');

    // Revoke in the UI: the confirmation names the key, the row greys out at once.
    await page.getByRole('button', { name: 'Revoke E2E integration' }).click();
    const confirm = page.getByRole('dialog', { name: /Revoke “E2E integration”/ });
    await confirm.waitFor();
    expect((await focused(page)).text).toBe('Cancel');
    await t.shot('revoke-confirm');
    await confirm.getByRole('button', { name: 'Revoke “E2E integration”' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await eventually(() => row.getAttribute('data-status'), (s) => s === 'revoked', 'the row to show revoked');
    await waitForText(row, /Revoked/);
    expect(await page.getByRole('button', { name: 'Revoke E2E integration' }).count()).toBe(0);

    const denied = await callLocations(key);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toMatch(/application\/problem\+json/);

    // The audit log records both actions.
    const audit = page.getByRole('table', { name: 'Audit log' });
    await waitForText(audit, /Revoked/);
    expect(await audit.innerText()).toMatch(/Generated/);
    await t.shot('revoked');

    // Phone width still shows the table (stacked) and the actions.
    await page.setViewportSize({ width: 390, height: 844 });
    await t.shot('phone');
    await page.setViewportSize({ width: 1366, height: 900 });

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    expect((await t.context.request.get('/portal/api/me')).status()).toBe(401);
    expect(t.pageErrors).toEqual([]);
    expect(t.cspViolations).toEqual([]);
  });
});
