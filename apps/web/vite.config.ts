import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API at `/`; during `vite dev` the API calls and the live stream go to a local API.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The page is served under a strict CSP: no inline scripts, no eval.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      '/v1': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
