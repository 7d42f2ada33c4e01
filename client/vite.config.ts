import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const clientDir = fileURLToPath(new URL('.', import.meta.url));

/** The Machine `npm run dev` proxies API and socket calls to (a running `npm run serve`). */
const target = process.env.REPLAYCAST_DEV_TARGET ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: clientDir,
  plugins: [preact({ prefreshEnabled: true })],
  build: {
    // The server serves this folder (server/web); `npm run build` fills it.
    outDir: fileURLToPath(new URL('../dist/client/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Small app: one JS and one CSS file, content-hashed under /assets/.
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': { target, changeOrigin: false },
      '/ws': { target, ws: true, changeOrigin: false },
      '/healthz': { target },
    },
  },
});
