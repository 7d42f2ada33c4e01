import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { readStored, writeStored } from './storage.ts';

const global = globalThis as { localStorage?: unknown };
afterEach(() => {
  delete global.localStorage;
});

test('readStored and writeStored round-trip through localStorage; a missing key reads as empty', () => {
  const items = new Map<string, string>();
  global.localStorage = {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
  };
  assert.equal(readStored('name'), '');
  writeStored('name', 'ann');
  assert.equal(items.get('name'), 'ann');
  assert.equal(readStored('name'), 'ann');
});

test('blocked or missing storage: reads are empty and writes are dropped, nothing throws', () => {
  assert.equal(readStored('name'), '', 'no localStorage at all');
  writeStored('name', 'ann');
  global.localStorage = {
    getItem: () => {
      throw new DOMException('denied', 'SecurityError');
    },
    setItem: () => {
      throw new DOMException('full', 'QuotaExceededError');
    },
  };
  assert.equal(readStored('name'), '');
  writeStored('name', 'ann');
});
