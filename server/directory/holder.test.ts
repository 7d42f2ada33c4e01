import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HolderAnswer, readHolderAnswer } from './holder.ts';

const ID = '01J9ZZZZZZZZZZZZZZZZZZZZZZ';

test("a peer's answer about a stream: held live or moving, not held, or no opinion", () => {
  const rows: Array<[string, number, string, HolderAnswer]> = [
    ['held', 200, JSON.stringify({ id: ID, held: 'live' }), 'live'],
    ['going away', 200, JSON.stringify({ id: ID, held: 'moving' }), 'moving'],
    ['not here', 404, '{"error":"no such stream on this Machine"}', 'not-held'],
    ['another stream named', 200, JSON.stringify({ id: `${ID.slice(0, 25)}Y`, held: 'live' }), 'unreachable'],
    ['an unknown state', 200, JSON.stringify({ id: ID, held: 'maybe' }), 'unreachable'],
    ['not JSON', 200, 'held', 'unreachable'],
    ['refused (not a Machine of the app)', 403, '{"error":"x"}', 'unreachable'],
    ['its own failure', 500, '{"error":"internal error"}', 'unreachable'],
  ];
  for (const [what, status, body, expected] of rows)
    assert.equal(readHolderAnswer({ status, etag: undefined, body }, ID), expected, what);
});
