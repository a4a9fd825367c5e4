// The webhook guide (docs/webhooks.md) served as an HTML page at /docs/webhooks, rendered once at
// start with `marked`. The page runs under the portal's Content-Security-Policy (no script, its
// stylesheet from this origin), and the markdown can inject nothing: raw HTML in it is shown as
// text and links go only to this site, https/http or mailto.
import { readFileSync } from 'node:fs';
import { Marked, type Tokens } from 'marked';
import type { App } from './app-type.ts';

export const WEBHOOK_GUIDE_PATH = '/docs/webhooks';
const STYLESHEET_PATH = '/docs/webhooks.css';
const SOURCE = new URL('../../docs/webhooks.md', import.meta.url);
const STYLESHEET = new URL('./webhook-guide.css', import.meta.url);

/** Links between repository files that point elsewhere once the guide is served. */
const SERVED_LINKS: Record<string, string> = { '../api/openapi.yaml': '/api/v1/openapi.json' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; a repeat gets -1, -2… */
function createSlugger(): (text: string) => string {
  const seen = new Map<string, number>();
  return (text) => {
    const base = text.toLowerCase().trim().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
}

/** Where a link may go: an anchor, a path of this site, or https/http/mailto; null for anything else. */
function safeHref(href: string): string | null {
  const mapped = SERVED_LINKS[href] ?? href;
  if (mapped.startsWith('#') || /^\/(?!\/)/.test(mapped)) return mapped;
  return /^(https?:\/\/|mailto:)/i.test(mapped) ? mapped : null;
}

export interface RenderedGuide {
  title: string;
  html: string;
}

/** Renders the guide's markdown to the body of the page; headings get GitHub-style ids. */
export function renderGuide(markdown: string): RenderedGuide {
  const slug = createSlugger();
  let title = '';
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      heading(token: Tokens.Heading) {
        const inner = this.parser.parseInline(token.tokens);
        const plain = token.text.replace(/[`*_]/g, '');
        if (token.depth === 1 && !title) title = plain;
        return `<h${token.depth} id="${escapeHtml(slug(plain))}">${inner}</h${token.depth}>\n`;
      },
      html(token: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(token.text);
      },
      link(token: Tokens.Link) {
        const inner = this.parser.parseInline(token.tokens);
        const href = safeHref(token.href);
        if (href === null) return inner;
        const external = /^https?:\/\//i.test(href) ? ' rel="noopener noreferrer"' : '';
        const titleAttr = token.title ? ` title="${escapeHtml(token.title)}"` : '';
        return `<a href="${escapeHtml(href)}"${titleAttr}${external}>${inner}</a>`;
      },
      image(token: Tokens.Image) {
        return escapeHtml(token.text);
      },
    },
  });
  const html = marked.parse(markdown, { async: false });
  return { title: title || 'Receiving FARO webhooks', html };
}

function page({ title, html }: RenderedGuide): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · FARO</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<nav class="guide-nav" aria-label="FARO developer documentation"><a href="/docs">API reference</a><a href="/settings/webhooks">Settings → Webhooks</a></nav>
<main class="guide">
${html}</main>
</body>
</html>
`;
}

/** GET /docs/webhooks and its stylesheet; both rendered or read once, when the app is built. */
export async function webhookGuideRoutes(app: App): Promise<void> {
  const html = page(renderGuide(readFileSync(SOURCE, 'utf8')));
  const css = readFileSync(STYLESHEET, 'utf8');
  app.get(WEBHOOK_GUIDE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('text/html; charset=utf-8').send(html),
  );
  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('text/css; charset=utf-8').send(css),
  );
}
