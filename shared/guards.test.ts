import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCount, isObject } from './guards.ts';

test('isObject: plain objects only, not null, arrays or primitives', () => {
  const rows: [unknown, boolean][] = [
    [{}, true],
    [{ a: 1 }, true],
    [JSON.parse('{"type":"hello"}'), true],
    [Object.create(null), true],
    [null, false],
    [undefined, false],
    [[], false],
    [[{ a: 1 }], false],
    ['{}', false],
    [0, false],
    [true, false],
  ];
  for (const [value, expected] of rows) assert.equal(isObject(value), expected, JSON.stringify(value));
});

test('isCount: whole numbers from 0 to 2^53 - 1', () => {
  const rows: [unknown, boolean][] = [
    [0, true],
    [1, true],
    [Number.MAX_SAFE_INTEGER, true],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [-1, false],
    [1.5, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
    ['1', false],
    [null, false],
  ];
  for (const [value, expected] of rows) assert.equal(isCount(value), expected, String(value));
});
