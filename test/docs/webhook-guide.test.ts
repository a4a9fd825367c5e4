// docs/webhooks.md served as HTML at /docs/webhooks: every heading has the anchor the guide links
// to, every link goes somewhere that answers, the page runs under the portal's CSP, and markdown
// can inject neither HTML nor a script link.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { escapeHtml, renderGuide } from '../../src/http/webhook-guide.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const markdown = readFileSync(path.join(root, 'docs/webhooks.md'), 'utf8');
const portalRoutes = readFileSync(path.join(root, 'portal/src/App.tsx'), 'utf8');

describe('GET /docs/webhooks', () => {
  let t: TestApp;
  let html: string;

  beforeAll(async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: 'GET', url: '/docs/webhooks', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    html = response.body;
  });
  afterAll(async () => t?.close());

  it('is the guide, rendered: title, headings, tables and escaped code', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>Receiving FARO webhooks · FARO</title>');
    expect(html).toContain('<h1 id="receiving-faro-webhooks">Receiving FARO webhooks</h1>');
    expect(html).toContain('<h2 id="allowed-urls">Allowed URLs</h2>');
    expect(html).toContain('<h3 id="conversationcreated"><code>conversation.created</code></h3>');
    expect(html).toMatch(/<table>[\s\S]*<th>Event type<\/th>/);
    // Code blocks keep their text, escaped: the Node.js verification sample is there, not executed.
    const jsBlock = /```js\n([\s\S]*?)\n```/.exec(markdown)![1]!;
    expect(html).toContain(`<pre><code class="language-js">${escapeHtml(jsBlock)}`);
    expect(html).not.toMatch(/<script\b/i);
  });

  it('has an id for every anchor the guide links to', () => {
    const anchors = [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(anchors.length).toBeGreaterThan(5);
    for (const anchor of anchors) expect(html, `#${anchor}`).toContain(` id="${anchor}"`);
  });

  it('links only to anchors, absolute https/http URLs, or paths of this service that answer', async () => {
    const hrefs = [...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(hrefs).toContain('/api/v1/openapi.json'); // the repository's ../api/openapi.yaml, as served
    expect(hrefs).toContain('/docs');
    for (const href of hrefs) {
      if (href.startsWith('#')) {
        expect(html, href).toContain(` id="${href.slice(1)}"`);
      } else if (href.startsWith('/settings/')) {
        // A portal page: the SPA serves it once built (not yet built when the unit tests run in CI).
        expect(portalRoutes, href).toContain(` path="${href}"`);
      } else if (href.startsWith('/')) {
        const target = await t.app.inject({ method: 'GET', url: href, headers: { accept: 'text/html' } });
        expect([200, 302], `${href} answers ${target.statusCode}`).toContain(target.statusCode);
      } else {
        expect(href).toMatch(/^(https?:\/\/|mailto:)/);
      }
    }
  });

  it("runs under the portal's Content-Security-Policy, with its stylesheet from this origin", async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/webhooks' });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(html).toContain('<link rel="stylesheet" href="/docs/webhooks.css">');
    expect(html).not.toMatch(/<style\b|\sstyle=/);
    const css = await t.app.inject({ method: 'GET', url: '/docs/webhooks.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.guide');
  });
});

describe('renderGuide', () => {
  it('shows raw HTML in the markdown as text, never as markup', () => {
    const { html } = renderGuide('# T\n\n<script>alert(1)</script>\n\nText <img src=x onerror="alert(2)"> and <b>bold</b>.\n\n<div onclick="x()">block</div>\n');
    expect(html).not.toMatch(/<script|<img|<b>|<div/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
  });

  it('drops links to other schemes, keeps their text, and escapes attributes', () => {
    const { html } = renderGuide(
      '[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x) [d](//evil.example/x) [e](other.md) [f](https://example.com/?q="x") ![i](https://example.com/i.png)',
    );
    expect(html).not.toMatch(/javascript:|data:|vbscript:|\/\/evil|other\.md|<img/i);
    expect(html).toContain('<p>a b c d e <a href="https://example.com/?q=&quot;x&quot;" rel="noopener noreferrer">f</a> i</p>');
  });

  it('gives repeated headings distinct anchors, as GitHub does', () => {
    const { html, title } = renderGuide('# Guide\n\n## Setup\n\n## Setup\n\n### `a.b` & C\n');
    expect(title).toBe('Guide');
    expect(html).toContain('<h2 id="setup">Setup</h2>');
    expect(html).toContain('<h2 id="setup-1">Setup</h2>');
    expect(html).toContain('<h3 id="ab--c"><code>a.b</code> &amp; C</h3>');
  });
});
