// Settings → API at the widths people use: every key's Rotate and Revoke buttons are on screen and
// clickable without scrolling sideways (wide tables become stacked cards on phones, and where a
// table must still scroll, its actions column stays pinned), and a rotation's show-once panel
// offers the curl command with the new key filled in.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { adminHeaders, startStack, type Stack } from './support/stack.ts';
import { login } from '../support/fixtures.ts';
import { SCOPES } from '../../src/domains/api/auth-context.ts';
import { launchBrowser, loginThroughUi, openPage, reachAfterVerticalScroll, waitForText, type TestPage } from './support/browser.ts';

const KEYS = [
  { name: 'Production CRM sync for the main dental clinic and its three satellite offices', scopes: SCOPES },
  { name: 'Reviews widget', scopes: ['reviews:read'] },
  { name: 'Lead form', scopes: ['leads:write'] },
];
const WIDTHS = [1920, 1600, 1280, 1024, 390];

describe('Settings → API keys table at every width', () => {
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

  it('keeps Rotate and Revoke of every key on screen and clickable, and a rotation offers a working curl', async () => {
    const agency = await stack.createAgency({ tier: 'scale', name: 'Sunrise Dental Marketing' });
    for (const key of KEYS) await stack.createKey(agency, key.name, key.scopes);
    t = await openPage(browser, stack.url, 'api-keys-layout', { width: 1280, height: 800 });
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);
    const table = page.getByRole('table', { name: 'API keys' });
    await waitForText(table, /Lead form/);

    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await page.evaluate('window.scrollTo(0, 0)');
      for (const key of KEYS) {
        for (const action of ['Rotate', 'Revoke']) {
          const button = page.getByRole('button', { name: `${action} ${key.name}` });
          const reach = await reachAfterVerticalScroll(button);
          expect(reach, `${action} "${key.name}" at ${width} px`).toEqual({ inViewport: true, unclipped: true, hitAtCentre: true, sideScroll: 0 });
        }
      }
      await t.shot(`keys-${width}`);
      // A real click (which scrolls nothing sideways: the button is already in view) opens the dialog.
      await page.getByRole('button', { name: `Rotate ${KEYS[0]!.name}` }).click();
      const dialog = page.getByRole('dialog', { name: /^Rotate/ });
      await dialog.waitFor();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      expect(await page.evaluate('window.scrollX')).toBe(0);
    }

    // On a phone, rotate for real: the show-once panel carries the curl with the new key, and it works.
    await page.getByRole('button', { name: 'Rotate Reviews widget' }).click();
    await page.getByRole('dialog', { name: /^Rotate/ }).getByRole('button', { name: 'Rotate key' }).click();
    const showOnce = page.getByRole('dialog', { name: 'Your rotated API key' });
    await showOnce.waitFor();
    const key = await showOnce.getByLabel(/API key/).inputValue();
    const curl = await showOnce.getByTestId('show-once-curl').innerText();
    // reviews:read is the key's only read scope, so the example lists reviews.
    expect(curl).toBe(`curl -H "Authorization: Bearer ${key}" ${stack.url}/api/v1/reviews`);
    const reach = await reachAfterVerticalScroll(showOnce.getByRole('button', { name: 'Copy command' }));
    expect(reach.inViewport && reach.hitAtCentre).toBe(true);
    await t.shot('rotated-show-once-phone');
    const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} --silent --show-error --fail`]);
    expect(JSON.parse(stdout)).toMatchObject({ data: expect.any(Array), has_more: expect.any(Boolean) });
    await showOnce.getByRole('button', { name: 'I have copied the key' }).click();

    // A key that can only write has no GET to try: the panel says so instead of a command that would fail.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Rotate Lead form' }).click();
    await page.getByRole('dialog', { name: /^Rotate/ }).getByRole('button', { name: 'Rotate key' }).click();
    const writeOnly = page.getByRole('dialog', { name: 'Your rotated API key' });
    await waitForText(writeOnly, /no read scope/);
    expect(await writeOnly.getByTestId('show-once-curl').count()).toBe(0);
    await writeOnly.getByRole('button', { name: 'I have copied the key' }).click();

    // An operator revokes a key while the page still lists it: rotating it fails, and the error
    // quotes the request's id (the same as the response's Request-Id) for support.
    const crmKey = (await stack.app.inject({ method: 'GET', url: '/portal/api/api-keys', headers: await ownerHeaders(stack, agency) }))
      .json<{ data: { id: string; name: string; status: string }[] }>()
      .data.find((k) => k.name === 'Production CRM sync for the main dental clinic and its three satellite offices')!;
    const revoked = await stack.app.inject({ method: 'POST', url: `/admin/v1/agencies/${agency.id}/api-keys/${crmKey.id}/revoke`, headers: adminHeaders });
    expect(revoked.statusCode, revoked.body).toBe(200);
    await page.getByRole('button', { name: `Rotate ${KEYS[0]!.name}` }).click();
    const rotate = page.getByRole('dialog', { name: /^Rotate/ });
    const refused = page.waitForResponse((r) => r.url().endsWith(`/portal/api/api-keys/${crmKey.id}/rotate`));
    await rotate.getByRole('button', { name: 'Rotate key' }).click();
    const response = await refused;
    expect(response.status()).toBe(409);
    const alert = rotate.getByRole('alert');
    await waitForText(alert, /This key is revoked/);
    expect(await alert.getByTestId('request-id').innerText()).toBe(response.headers()['request-id']);
    expect(await alert.getByRole('button', { name: 'Copy request ID' }).isVisible()).toBe(true);
    await t.shot('rotate-refused-request-id');
    await page.keyboard.press('Escape');

    expect(t.pageErrors).toEqual([]);
  });
});

async function ownerHeaders(stack: Stack, agency: { email: string; password: string }): Promise<Record<string, string>> {
  return (await login(stack.app, agency.email, agency.password)).headers;
}
