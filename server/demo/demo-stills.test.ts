import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { build } from '../../test/support/app.ts';
import { until } from '../../test/support/stream-client.ts';
import { jpegOf } from '../../test/support/thumbnails.ts';
import { checkThumbnail } from '../thumbnails/image.ts';
import type { PutOutcome } from '../thumbnails/plugin.ts';
import { DemoStills, loadDemoStills, stillIndex } from './demo-stills.ts';

test('the committed stills are JPEGs a thumbnail may be, all different, a few KB each', () => {
  const stills = loadDemoStills();
  assert.ok(stills.length >= 2, 'enough to rotate');
  for (const still of stills) {
    assert.deepEqual(checkThumbnail(still, 64 * 1024), { ok: true, type: 'image/jpeg' });
    assert.ok(still.length <= 16 * 1024, `${still.length} bytes: keep committed files small`);
  }
  assert.equal(new Set(stills.map((s) => s.toString('base64'))).size, stills.length);
});

test('stillIndex: each stream moves one still on per tick, neighbours start apart', () => {
  const rows: Array<[number, number, number, number]> = [
    [0, 0, 4, 0],
    [0, 1, 4, 1],
    [0, 4, 4, 0],
    [1, 0, 4, 1],
    [3, 2, 4, 1],
    [5, 0, 4, 1],
  ];
  for (const [streamNo, tick, stills, want] of rows) assert.equal(stillIndex(streamNo, tick, stills), want);
});

test('DemoStills shows a still at once and the next one every interval, for every stream', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const stills = [jpegOf(100, 1), jpegOf(100, 2), jpegOf(100, 3)];
  const shown: Array<[string, number]> = [];
  const put = (id: string, bytes: Buffer): PutOutcome => {
    shown.push([id, stills.indexOf(bytes)]);
    return { ok: true, version: shown.length };
  };
  let loads = 0;
  const load = () => {
    loads++;
    return stills;
  };
  const demo = new DemoStills(put, load, 10_000, pino({ level: 'silent' }));
  demo.add([]);
  assert.equal(loads, 0, 'no demo stream, no file read');
  demo.add(['a', 'b']);
  assert.deepEqual(shown, [
    ['a', 0],
    ['b', 1],
  ]);
  assert.equal(loads, 1);
  t.mock.timers.tick(9_999);
  assert.equal(shown.length, 2);
  t.mock.timers.tick(1);
  assert.deepEqual(shown.slice(2), [
    ['a', 1],
    ['b', 2],
  ]);
  demo.stop();
  t.mock.timers.tick(10_000);
  assert.equal(shown.length, 4, 'nothing after stop');
});

test('demo streams have a thumbnail as soon as they start', async (t) => {
  const app = await build(t);
  const [id] = app.demo.start(1);
  await until(() => app.thumbnails.store.version(id!) !== undefined, 'a demo thumbnail');
  const res = await app.inject(`/api/streams/${id}/thumbnail`);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.rawPayload, loadDemoStills()[0]);
});
