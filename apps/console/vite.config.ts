import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves dist/ at `/` (index.html for every non-API path, hashed assets under
// /assets/ cached immutably). `npx vite` here is only for working on the console itself: it
// proxies the API to a server started separately (SWITCHYARD_API, default port 8080).
const api = process.env.SWITCHYARD_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', target: 'es2022' },
  server: { proxy: { '/api': api, '/v1': api } },
});
