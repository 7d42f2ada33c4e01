import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRelayCount, streamSubjects } from './subjects.ts';

const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const ok = { machineId: 'aaaaaaaaaaaaaa', region: 'ams', viewers: 10 };

test('relay counts: held to MAX_STREAM_VIEWERS at its edge; malformed ones refused', () => {
  const rows: Array<[string, Uint8Array, boolean]> = [
    ['at the limit', enc(ok), true],
    ['one over the limit', enc({ ...ok, viewers: 11 }), false],
    ['zero (a relay letting go)', enc({ ...ok, viewers: 0 }), true],
    ['negative', enc({ ...ok, viewers: -1 }), false],
    ['fractional', enc({ ...ok, viewers: 1.5 }), false],
    ['off Fly (no region)', enc({ ...ok, region: '' }), true],
    ['not a Machine id', enc({ ...ok, machineId: 'relay' }), false],
    ['not a region', enc({ ...ok, region: 'Amsterdam' }), false],
    ['not JSON', new TextEncoder().encode('{'), false],
    ['not an object', enc([ok]), false],
  ];
  for (const [name, data, accepted] of rows) assert.equal(parseRelayCount(data, 10).ok, accepted, name);
});

test('stream subjects: one root per stream; a non-ULID id is refused', () => {
  const id = '01J0000000000000000000000A';
  assert.deepEqual(streamSubjects(id), {
    frames: `rc.v1.${id}.f`,
    config: `rc.v1.${id}.c`,
    events: `rc.v1.${id}.e`,
    join: `rc.v1.${id}.join`,
    keyframe: `rc.v1.${id}.kf`,
    chat: `rc.v1.${id}.chat`,
    counts: `rc.v1.${id}.vc`,
  });
  assert.throws(() => streamSubjects('a.b'), /not a stream id/);
});
