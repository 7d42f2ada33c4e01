import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ulid } from 'ulid';
import { isStreamId } from './stream-id.ts';

test('isStreamId: what ulid() makes, nothing else', () => {
  const fresh = ulid();
  const rows: [unknown, boolean][] = [
    [fresh, true],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', true],
    ['0'.repeat(26), true],
    ['Z'.repeat(26), true],
    ['01ARZ3NDEKTSV4RRFFQ69G5FA', false],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAVX', false],
    ['01arz3ndektsv4rrffq69g5fav', false],
    // I, L, O and U are not in Crockford's alphabet.
    ['01ARZ3NDEKTSV4RRFFQ69G5FAI', false],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAL', false],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAO', false],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAU', false],
    ['01ARZ3NDEKTSV4RRFFQ69G5FA-', false],
    [`${fresh}\n`, false],
    ['no-such-stream', false],
    ['', false],
    [undefined, false],
    [26, false],
  ];
  for (const [value, expected] of rows) assert.equal(isStreamId(value), expected, JSON.stringify(value));
});
