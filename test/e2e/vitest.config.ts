import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Browser end-to-end tests: the real service on a real port, a fresh database per file, the
// built portal (portal/dist) and Debian's Chromium driven by playwright-core.
// Run: node_modules/.bin/vitest run --config test/e2e/vitest.config.ts  (after building the portal)
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../', import.meta.url)),
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
