import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRegionCode } from './region.ts';

test('isRegionCode: lowercase letters, digits and -, 2 to 32 chars', () => {
  const rows: [unknown, boolean][] = [
    ['ams', true],
    ['us-west-2', true],
    ['ab', true],
    ['a'.repeat(32), true],
    ['a', false],
    ['a'.repeat(33), false],
    ['', false],
    ['AMS', false],
    ['s_d', false],
    ['ams,dfw', false],
    ['ams\n', false],
    [' ams', false],
    [undefined, false],
    [5, false],
  ];
  for (const [value, ok] of rows) assert.equal(isRegionCode(value), ok, JSON.stringify(value));
});
