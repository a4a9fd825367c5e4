// The browser side of the security headers: the portal and /docs work in Chromium under their
// Content-Security-Policy (every violation fails the suite, see support/browser.ts), and a
// same-site page cannot frame the signed-in portal.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from './support/stack.ts';
import { launchBrowser, loginThroughUi, openPage, waitForText, type TestPage } from './support/browser.ts';
import { REPO_ROOT } from './support/paths.ts';

describe('security headers in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  const pages: TestPage[] = [];
  let framer: http.Server | undefined;

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const p of pages) await p.close();
    await browser?.close();
    await new Promise((resolve) => (framer ? framer.close(resolve) : resolve(undefined)));
    await stack?.close();
  });

  it('the built portal has no inline script, style element or style attribute for the CSP to refuse', () => {
    const html = fs.readFileSync(path.join(REPO_ROOT, 'portal/dist/index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=/);
  });

  it('Swagger UI at /docs renders, and "Try it out" calls this instance, under the docs CSP', async () => {
    const t = await openPage(browser, stack.url, 'docs');
    pages.push(t);
    const { page } = t;
    const response = await page.goto('/docs');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('.topbar img[src^="data:image/svg+xml"]').waitFor();
    // The description links the rendered webhook guide.
    expect(await page.locator('.info a[href="/docs/webhooks"]').innerText()).toBe('webhook guide');
    await page.locator('.servers select').selectOption('/');
    const operation = page.locator('#operations-Locations-listLocations');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    // No key was given: this instance answers 401, which shows the request left the page.
    await waitForText(operation.locator('.live-responses-table tr.response .response-col_status'), /401/);
    await t.shot('docs-try-it-out');
    expect(t.pageErrors).toEqual([]);
    expect(t.cspViolations).toEqual([]);
  });

  it('a same-site page cannot frame the signed-in portal', async () => {
    const agency = await stack.createAgency({ tier: 'scale', name: 'Framed Agency' });
    const t = await openPage(browser, stack.url, 'framing');
    pages.push(t);
    const { page } = t;
    await loginThroughUi(t, agency.email, agency.password);
    expect(t.cspViolations).toEqual([]);

    // Another port on the same host: same-site, so the session cookie (SameSite=Lax) would go along.
    framer = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><title>framer</title><iframe id="victim" src="${stack.url}/settings/api" width="1000" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => framer!.listen(0, '127.0.0.1', resolve));
    const framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}/`;
    const portalLoaded = page.waitForResponse((r) => r.url() === `${stack.url}/settings/api`);
    await page.goto(framerUrl);
    expect((await portalLoaded).headers()['x-frame-options']).toBe('DENY');

    const victim = page.frames().find((frame) => frame !== page.mainFrame());
    expect(victim).toBeDefined();
    expect(victim!.url()).not.toBe(`${stack.url}/settings/api`);
    expect(await victim!.locator('button', { hasText: 'Generate key' }).count()).toBe(0);
    await t.shot('framed-refused');
    // The refusal is the one violation this page may report; nothing else.
    expect(t.cspViolations.length).toBeGreaterThan(0);
    expect(t.cspViolations.every((v) => v.includes('frame-ancestors'))).toBe(true);
    t.cspViolations.length = 0;
    expect(t.pageErrors).toEqual([]);
  });
});
