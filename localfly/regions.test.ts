import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byDistanceFrom, isKnownRegion, REGION_CODE_PATTERN, regionDistanceKm } from './regions.ts';

test('distances between known regions are plausible great-circle figures', () => {
  const rows: Array<[string, string, number, number]> = [
    // from, to, at least km, at most km
    ['ams', 'ams', 0, 0],
    ['ams', 'fra', 300, 450],
    ['ams', 'dfw', 7600, 8200],
    ['dfw', 'iad', 1700, 2000],
    ['syd', 'nrt', 7700, 8000],
  ];
  for (const [from, to, min, max] of rows) {
    const d = regionDistanceKm(from, to);
    assert.ok(d !== null && d >= min && d <= max, `${from}->${to}: ${d}`);
    assert.equal(regionDistanceKm(to, from), d, 'symmetric');
  }
});

test('unknown regions have no distance, except to themselves', () => {
  assert.equal(regionDistanceKm('ams', 'zzz'), null);
  assert.equal(regionDistanceKm('zzz', 'ams'), null);
  assert.equal(regionDistanceKm('zzz', 'zzz'), 0);
  assert.equal(isKnownRegion('zzz'), false);
  assert.equal(isKnownRegion('dfw'), true);
  assert.equal(isKnownRegion('constructor'), false);
});

test('byDistanceFrom orders nearest first, itself first, unknown last', () => {
  const rows: Array<[string, string[], string[]]> = [
    ['ams', ['dfw', 'fra', 'ams'], ['ams', 'fra', 'dfw']],
    ['dfw', ['ams', 'iad', 'syd', 'dfw'], ['dfw', 'iad', 'ams', 'syd']],
    ['ams', ['zzb', 'dfw', 'zza'], ['dfw', 'zza', 'zzb']],
    ['zzz', ['dfw', 'ams', 'zzz'], ['zzz', 'ams', 'dfw']],
    ['ams', ['dfw', 'dfw', 'ams'], ['ams', 'dfw']],
    ['ams', [], []],
  ];
  for (const [from, regions, expected] of rows) {
    assert.deepEqual(byDistanceFrom(from, regions), expected, `${from}: ${regions.join(',')}`);
  }
});

test('REGION_CODE_PATTERN: lowercase letters, digits and -, 2 to 32 chars', () => {
  const rows: [string, boolean][] = [
    ['ams', true],
    ['any', true],
    ['us-west-2', true],
    ['ab', true],
    ['a'.repeat(32), true],
    ['a', false],
    ['a'.repeat(33), false],
    ['', false],
    ['AMS', false],
    ['s_d', false],
    ['ams,dfw', false],
  ];
  for (const [value, ok] of rows) assert.equal(REGION_CODE_PATTERN.test(value), ok, JSON.stringify(value));
});
