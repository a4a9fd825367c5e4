// Scenario 3: a growth-tier agency sees the upgrade panels (and the portal makes no calls that
// would fail); a member of a Scale agency sees everything read-only and cannot generate keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from './support/stack.ts';
import { launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';

describe('Tier gating and read-only members', () => {
  let stack: Stack;
  let browser: Browser;
  const pages: TestPage[] = [];

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await stack?.close();
  });

  it('shows upgrade panels to a growth agency without calling the gated endpoints', async () => {
    const agency = await stack.createAgency({ tier: 'growth', name: 'Growth Co' });
    const t = await openPage(browser, stack.url, 'gating-growth');
    pages.push(t);
    const { page } = t;
    const calls: string[] = [];
    const failures: string[] = [];
    page.on('request', (r) => calls.push(new URL(r.url()).pathname));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/portal/api/me')) failures.push(`${r.status()} ${r.url()}`);
    });

    await loginThroughUi(t, agency.email, agency.password);
    await waitForText(page.getByRole('banner'), /Growth plan/);
    const apiPanel = page.getByTestId('upgrade-panel');
    await waitForText(apiPanel, /needs the Scale plan/);
    expect(await page.getByRole('button', { name: 'Generate key' }).count()).toBe(0);
    await t.shot('api-upgrade');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/settings/webhooks');
    await waitForText(page.getByTestId('upgrade-panel'), /Webhooks needs the Scale plan/);
    await t.shot('webhooks-upgrade');

    await page.goto('/settings/webhooks/whsub_doesnotmatter');
    await waitForText(page.getByTestId('upgrade-panel'), /Webhooks needs the Scale plan/);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/settings/audit-log');
    await waitForText(page.getByTestId('upgrade-panel'), /The audit log needs the Scale plan/);

    const gated = calls.filter((p) => p.startsWith('/portal/api/api-keys') || p.startsWith('/api/v1/'));
    expect(gated).toEqual([]);
    expect(failures).toEqual([]);
    expect(t.pageErrors).toEqual([]);
    expect(t.cspViolations).toEqual([]);
  });

  it('lets a member look but not generate keys or change webhooks', async () => {
    const agency = await stack.createAgency({ tier: 'scale', name: 'Scale Co' });
    const member = await stack.createMember(agency.id);
    await stack.createKey(agency, 'Owner CRM key');
    const t = await openPage(browser, stack.url, 'gating-member');
    pages.push(t);
    const { page } = t;

    await loginThroughUi(t, member.email, member.password);
    await waitForText(page.getByRole('banner'), /member/);
    const generate = page.getByRole('button', { name: 'Generate key' });
    await generate.waitFor();
    expect(await generate.isDisabled()).toBe(true);
    await waitForText(page.getByRole('note'), /read-only access/);
    const row = page.getByRole('table', { name: 'API keys' }).getByRole('row', { name: /Owner CRM key/ });
    await waitForText(row, /Active/);
    expect(await row.getByRole('button', { name: /Revoke Owner CRM key/ }).isDisabled()).toBe(true);
    expect(await row.getByRole('button', { name: /Rotate Owner CRM key/ }).isDisabled()).toBe(true);
    await t.shot('member-api');

    // The server agrees: a member's write is refused even with a valid CSRF token.
    const refused = await page.evaluate(async () => {
      const me = (await (await fetch('/portal/api/me')).json()) as { csrf_token: string };
      const res = await fetch('/portal/api/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token },
        body: JSON.stringify({ name: 'sneaky', scopes: ['locations:read'] }),
      });
      return { status: res.status, body: (await res.json()) as { code?: string } };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('forbidden');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/settings/webhooks');
    const add = page.getByRole('button', { name: 'Add endpoint' });
    await add.waitFor();
    expect(await add.isDisabled()).toBe(true);
    await t.shot('member-webhooks');

    // A webhook's detail page: the secret can sign requests as FARO, so a member cannot reveal it.
    // Subscribing to "*" needs the read scope of every event type's resource as well (and those
    // fencing the health alerts: webhooks:read, audit:read, usage:read).
    const writer = await stack.createKey(agency, 'Webhook admin key', ['webhooks:write', 'webhooks:read', 'audit:read', 'usage:read', 'locations:read', 'conversations:read', 'messages:read', 'reviews:read', 'leads:read']);
    const created = await stack.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: { authorization: `Bearer ${writer.key}` },
      payload: { url: 'http://127.0.0.1:9/member-view', events: ['*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    await page.goto(`/settings/webhooks/${created.json<{ id: string }>().id}`);
    const reveal = page.getByRole('button', { name: 'Reveal secret' });
    await reveal.waitFor();
    expect(await reveal.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Rotate secret' }).isDisabled()).toBe(true);
    await t.shot('member-webhook-detail');

    // Reading the audit log is reading: a member sees who did what.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/settings/audit-log');
    const log = page.getByRole('table', { name: 'Audit log' });
    await waitForText(log, /Webhook admin key/);
    expect(await log.getByRole('row').filter({ hasText: 'Generated' }).count()).toBe(2);
    expect(await log.innerText()).toMatch(/Created[\s\S]*http:\/\/127\.0\.0\.1:9\/member-view/);
    await t.shot('member-audit-log');
    expect(t.pageErrors).toEqual([]);
    expect(t.cspViolations).toEqual([]);
  });
});
