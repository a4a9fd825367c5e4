// Debian's Chromium through playwright-core, with screenshots saved for CI artifacts.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './paths.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts/screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/screenshots/<suite>/<nn>-<name>.png */
  shot(name: string): Promise<void>;
  /** Uncaught errors thrown in the page (a test should end with none). */
  pageErrors: Error[];
  /** Content-Security-Policy violations the browser reported, in any frame. */
  cspViolations: string[];
  /** Closes the context; fails (so the suite fails) if any CSP violation was reported. */
  close(): Promise<void>;
}

// Registered before any page script: every `securitypolicyviolation` event goes to the test.
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) => {
  window.__faroCspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + e.documentURI + (e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : ''));
}, true);`;

export async function openPage(
  browser: Browser,
  baseURL: string,
  suite: string,
  viewport: { width: number; height: number } = { width: 1366, height: 900 },
): Promise<TestPage> {
  const context = await browser.newContext({ baseURL, viewport });
  const cspViolations: string[] = [];
  await context.exposeBinding('__faroCspViolation', (_source, text: string) => void cspViolations.push(text));
  await context.addInitScript(REPORT_CSP_VIOLATIONS);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors: Error[] = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  // Some refusals (frame-ancestors) reach only the console of the page that tried.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const dir = path.join(SCREENSHOT_DIR, suite);
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    context,
    page,
    pageErrors,
    cspViolations,
    async shot(name) {
      n += 1;
      const file = path.join(dir, `${String(n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
    },
    async close() {
      await context.close();
      if (cspViolations.length > 0) throw new Error(`Content-Security-Policy violations in ${suite}:\n${cspViolations.join('\n')}`);
    },
  };
}

/** Signs in through the login form and waits for the API settings page. */
export async function loginThroughUi(t: TestPage, email: string, password: string): Promise<void> {
  const { page } = t;
  await page.goto('/settings/api');
  await page.waitForURL('**/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await t.shot('login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/settings/api');
  await page.getByRole('heading', { level: 1, name: 'API' }).waitFor();
}

/** Polls `read` until `check` passes (playwright-core has no auto-retrying expect). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch {
      // the element may be re-rendering; try again
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function textOf(locator: Locator): Promise<string> {
  return locator.innerText();
}

export async function waitForText(locator: Locator, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(() => locator.innerText(), (text) => pattern.test(text), `text ${pattern} in ${locator}`, timeoutMs);
}

/** The id and text of the focused element (evaluated in the page; the test tsconfig has no DOM lib). */
export async function focused(page: Page): Promise<{ id: string; text: string }> {
  return page.evaluate('({ id: document.activeElement?.id ?? "", text: document.activeElement?.textContent ?? "" })');
}

/** Just what the reach probe below uses of the DOM (the test tsconfig has no DOM lib). */
interface ProbeBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}
interface ProbeElement {
  getBoundingClientRect(): ProbeBox;
  contains(other: unknown): boolean;
  parentElement: ProbeElement | null;
  clientLeft: number;
  clientWidth: number;
  scrollLeft: number;
  ownerDocument: {
    elementFromPoint(x: number, y: number): unknown;
    defaultView: {
      innerWidth: number;
      innerHeight: number;
      scrollX: number;
      scrollBy(x: number, y: number): void;
      getComputedStyle(element: ProbeElement): { overflowX: string };
    };
  };
}

export interface Reach {
  /** The whole box is inside the viewport. */
  inViewport: boolean;
  /** No ancestor that clips its overflow cuts any part of the box. */
  unclipped: boolean;
  /** A click at the box's centre lands on the element (nothing covers it). */
  hitAtCentre: boolean;
  /** How far the page and the element's ancestors are scrolled sideways, in px. */
  sideScroll: number;
}

/**
 * What a user sees of `locator` who scrolls the page only up and down: the page is scrolled
 * vertically (never sideways, nor any container) to bring the element mid-screen, then its box is
 * checked against the viewport, against every ancestor that clips overflow, and by a hit test.
 */
export async function reachAfterVerticalScroll(locator: Locator): Promise<Reach> {
  return locator.evaluate((el: ProbeElement) => {
    const doc = el.ownerDocument;
    const win = doc.defaultView;
    const before = el.getBoundingClientRect();
    win.scrollBy(0, before.top + before.height / 2 - win.innerHeight / 2);
    const box = el.getBoundingClientRect();
    let unclipped = true;
    let sideScroll = win.scrollX;
    for (let node = el.parentElement; node; node = node.parentElement) {
      sideScroll += node.scrollLeft;
      if (win.getComputedStyle(node).overflowX === 'visible') continue;
      const frame = node.getBoundingClientRect();
      const visibleLeft = frame.left + node.clientLeft;
      if (box.left < visibleLeft - 0.5 || box.right > visibleLeft + node.clientWidth + 0.5) unclipped = false;
    }
    const hit = doc.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {
      inViewport: box.left >= 0 && box.top >= 0 && box.right <= win.innerWidth && box.bottom <= win.innerHeight,
      unclipped,
      hitAtCentre: hit !== null && el.contains(hit),
      sideScroll,
    };
  });
}
