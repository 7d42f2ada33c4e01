import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cappedStreams, firstSnapshot, LocalSnapshot, nextSnapshot } from './local-snapshot.ts';

const identity = { machineId: 'aaaaaaaaaaaaaa', region: 'ams', bootId: '01J0000000000000000000000A' };
const s1 = { id: 's1', title: 't', creator: 'c', viewers: 0, startedAt: 1, epoch: 0 };

test('this Machine snapshot: version 1 first, one more per change, identity kept', () => {
  const first = firstSnapshot(identity, []);
  assert.deepEqual(first, { ...identity, version: 1, streams: [] });
  const second = nextSnapshot(first, [s1]);
  assert.deepEqual(second, { ...identity, version: 2, streams: [s1] });
  assert.deepEqual(nextSnapshot(second, []), { ...identity, version: 3, streams: [] });
  assert.deepEqual(first.streams, [], 'the previous snapshot is not changed');
});

test('LocalSnapshot: the JSON follows every update', () => {
  const local = new LocalSnapshot(identity, [s1]);
  assert.deepEqual(JSON.parse(local.json()), { ...identity, version: 1, streams: [s1] });
  local.update([]);
  assert.equal(local.current.version, 2);
  assert.deepEqual(JSON.parse(local.json()), { ...identity, version: 2, streams: [] });
  assert.equal(local.json(), JSON.stringify(local.current));
});

test('LocalSnapshot: relay readiness is a new version when it changes, none when it does not', () => {
  const local = new LocalSnapshot(identity, [s1]);
  assert.equal('relay' in local.current, false, 'absent until reported');
  assert.equal(local.setRelay('down'), true);
  assert.deepEqual(local.current, { ...identity, version: 2, streams: [s1], relay: 'down' });
  assert.equal(local.setRelay('down'), false);
  assert.equal(local.current.version, 2);
  local.update([]);
  assert.deepEqual(local.current, { ...identity, version: 3, streams: [], relay: 'down' }, 'kept across updates');
  assert.equal(local.setRelay('ok'), true);
  assert.deepEqual(JSON.parse(local.json()), { ...identity, version: 4, streams: [], relay: 'ok' });
});

test('cappedStreams: a total (home and relays) over MAX_STREAM_VIEWERS is advertised at the limit, so peers accept it', () => {
  const at = { ...s1, viewers: 10, homeViewers: 4 };
  const over = { ...s1, id: 's2', viewers: 25, homeViewers: 12 };
  const overHomeOnly = { ...s1, id: 's3', viewers: 11 };
  const capped = cappedStreams([at, over, overHomeOnly], 10);
  assert.deepEqual(capped, [at, { ...over, viewers: 10, homeViewers: 10 }, { ...overHomeOnly, viewers: 10 }]);
  const under = [at];
  assert.equal(cappedStreams(under, 10), under, 'nothing over: the same list');
});
