import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The portal SPA. `vite build --config portal/vite.config.ts` writes portal/dist, which the
// Fastify service serves at `/` (index.html as the fallback for client routes).
// `vite --config portal/vite.config.ts` is the hot-reload dev server; it proxies every
// server-side path to the service on :3000 (override with FARO_DEV_BACKEND).
const root = fileURLToPath(new URL('.', import.meta.url));
const backend = process.env.FARO_DEV_BACKEND ?? 'http://localhost:3000';
const proxied = ['/api', '/portal/api', '/admin', '/docs', '/healthz', '/readyz'];

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: backend, changeOrigin: false }])),
  },
  preview: { port: 4173 },
});
