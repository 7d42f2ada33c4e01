/**
 * bench/client-size: what the browser downloads. Builds the client with its own Vite config, then a
 * bare Preact "hello world" (render + hooks) with the same settings as the baseline, and reports gzip
 * and brotli sizes of the shipped JS and CSS, the app/baseline ratio, and the JS budget.
 *
 *   npm run bench -- client-size            (add --no-build to measure the existing dist/client)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { buildClient, JS_BUDGET_GZIP_BYTES, measure, ROOT, type Sizes } from './sizes.ts';

const clientAssets = join(ROOT, 'dist', 'client', 'assets');

/** The smallest Preact app with what this client uses from the framework: render and hooks. */
async function buildBaseline(): Promise<Sizes> {
  const dir = await mkdtemp(join(tmpdir(), 'replaycast-size-'));
  try {
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><body><script type="module" src="/main.js"></script></body>',
    );
    await writeFile(
      join(dir, 'main.js'),
      "import { h, render } from 'preact';\nimport { useState, useEffect } from 'preact/hooks';\n" +
        "function App() { const [n, setN] = useState(0); useEffect(() => { setN(1); }, []); return h('p', null, 'hello ' + n); }\n" +
        'render(h(App, null), document.body);\n',
    );
    await build({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      resolve: { alias: { preact: join(ROOT, 'node_modules', 'preact') } },
      build: { outDir: join(dir, 'dist'), target: 'es2022', modulePreload: { polyfill: false } },
    });
    return await measure(join(dir, 'dist', 'assets'), '.js');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

if (!process.argv.includes('--no-build')) await buildClient();
const js = await measure(clientAssets, '.js');
const css = await measure(clientAssets, '.css');
const baseline = await buildBaseline();

console.log('| what | raw | gzip -9 | brotli 11 |');
console.log('| --- | --- | --- | --- |');
console.log(
  `| client JS (one bundle for all pages, plus the go-live ticker worker and the watch page's audio worklet) | ${kb(js.raw)} | ${kb(js.gzip)} | ${kb(js.brotli)} |`,
);
console.log(`| client CSS | ${kb(css.raw)} | ${kb(css.gzip)} | ${kb(css.brotli)} |`);
console.log(
  `| baseline: bare Preact render + hooks | ${kb(baseline.raw)} | ${kb(baseline.gzip)} | ${kb(baseline.brotli)} |`,
);
console.log(
  `\nclient JS / baseline (gzip): ${(js.gzip / baseline.gzip).toFixed(2)}x; app code on top of Preact: ${kb(js.gzip - baseline.gzip)} gzip`,
);
console.log(
  `budget: ${kb(js.gzip)} of ${kb(JS_BUDGET_GZIP_BYTES)} gzip (${((js.gzip / JS_BUDGET_GZIP_BYTES) * 100).toFixed(0)} %)`,
);
if (js.gzip > JS_BUDGET_GZIP_BYTES) {
  console.error('over budget');
  process.exit(1);
}
