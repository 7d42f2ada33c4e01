import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byDistanceFrom, regionDistanceKm } from './region-distance.ts';

test('regions order nearest first from a viewer edge; unknown ones go last, alphabetically', () => {
  assert.deepEqual(byDistanceFrom('ams', ['dfw', 'fra', 'zzz', 'ams', 'aaa', 'iad']), [
    'ams',
    'fra',
    'iad',
    'dfw',
    'aaa',
    'zzz',
  ]);
  assert.equal(regionDistanceKm('ams', 'ams'), 0);
  assert.equal(regionDistanceKm('ams', 'nowhere'), null);
  const amsDfw = regionDistanceKm('ams', 'dfw')!;
  assert.ok(amsDfw > 7800 && amsDfw < 8100, `ams-dfw ${amsDfw} km`);
});
