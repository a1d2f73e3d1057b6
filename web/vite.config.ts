import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * The web console (index.html) and the chat demo (demo/index.html), built into dist/console and
 * served by Parley at /console/ (src/transport/routes/console-static.ts). Everything is bundled:
 * the pages load nothing from elsewhere, and no script or style is inline (the CSP forbids it).
 */
export default defineConfig({
  root: here('.'),
  base: '/console/',
  publicDir: false,
  resolve: {
    // The chat demo runs on the SDK's sources, as a page of a real app would run on the package.
    alias: { '@parley/client': here('../packages/client/src/index.ts') },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    rollupOptions: {
      input: { console: here('index.html'), demo: here('demo/index.html') },
    },
  },
  logLevel: 'warn',
});
