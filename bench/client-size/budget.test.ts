import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildClient, JS_BUDGET_GZIP_BYTES, measure } from './sizes.ts';

test('measure sums the files of one extension, each compressed on its own', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'replaycast-measure-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = Buffer.from('const a = 1;\n'.repeat(200));
  const b = Buffer.from('export function b() { return 2; }\n');
  await writeFile(join(dir, 'a.js'), a);
  await writeFile(join(dir, 'b.js'), b);
  await writeFile(join(dir, 'c.css'), 'body { margin: 0 }');
  const js = await measure(dir, '.js');
  assert.equal(js.raw, a.length + b.length);
  assert.equal(js.gzip, gzipSync(a, { level: 9 }).length + gzipSync(b, { level: 9 }).length);
  assert.ok(js.brotli > 0 && js.brotli < js.raw);
  assert.equal((await measure(dir, '.css')).raw, 'body { margin: 0 }'.length);
});

test('the client JS a page loads stays within its gzip budget', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'replaycast-client-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  await buildClient(out);
  const assets = join(out, 'assets');
  assert.ok(
    (await readdir(assets)).some((name) => /^index-.+\.js$/.test(name)),
    'the main bundle was built',
  );
  const js = await measure(assets, '.js');
  assert.ok(
    js.gzip <= JS_BUDGET_GZIP_BYTES,
    `client JS is ${js.gzip} bytes gzip, over the ${JS_BUDGET_GZIP_BYTES} byte budget`,
  );
});
