import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTime } from 'ulid';
import { newRequestId } from './request-id.ts';

test('request ids are <ULID>-<region>, unique, with the current time', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newRequestId('ams');
    assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}-ams$/);
    ids.add(id);
  }
  assert.equal(ids.size, 2000);
  const time = decodeTime(newRequestId('dfw').slice(0, 26));
  assert.ok(Math.abs(time - Date.now()) < 1000);
  // Every letter of the random part shows up: the pooled source is not stuck.
  const letters = new Set([...ids].flatMap((id) => [...id.slice(10, 26)]));
  assert.equal(letters.size, 32);
});
