import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DirectoryStream,
  type DirectoryView,
  EMPTY_VIEW,
  parseDirectoryEvent,
  parseView,
  reduceDirectory,
  regionsOf,
  watchUrl,
} from './directory.ts';

const A = '286533db064e58';
const B = 'd8913edc2d66e8';

function stream(id: string, startedAt: number, extra: Partial<DirectoryStream> = {}): DirectoryStream {
  return { id, title: `t-${id}`, creator: 'c', machineId: A, region: 'ams', viewers: 0, startedAt, epoch: 0, ...extra };
}

const view: DirectoryView = {
  streams: [stream('b', 200), stream('a', 100)],
  machines: [{ id: A, region: 'ams', streams: 2, lastSeenMs: 5 }],
  stale: false,
};

test('state replaces everything', () => {
  const next = reduceDirectory(view, { type: 'state', view: EMPTY_VIEW });
  assert.deepEqual(next, EMPTY_VIEW);
});

test('stream inserts a new stream in newest-first order', () => {
  const next = reduceDirectory(view, { type: 'stream', stream: stream('c', 150) });
  assert.deepEqual(
    next.streams.map((s) => s.id),
    ['b', 'c', 'a'],
  );
  assert.equal(view.streams.length, 2, 'the old state is not mutated');
});

test('stream updates an existing stream in place (viewers, moved home) without duplicating it', () => {
  const moved = stream('a', 100, { viewers: 7, machineId: B, region: 'dfw' });
  const next = reduceDirectory(view, { type: 'stream', stream: moved });
  assert.deepEqual(
    next.streams.map((s) => s.id),
    ['b', 'a'],
  );
  assert.deepEqual(next.streams[1], moved);
});

test('equal start times order by id', () => {
  const next = reduceDirectory(EMPTY_VIEW, { type: 'stream', stream: stream('z', 1) });
  const both = reduceDirectory(next, { type: 'stream', stream: stream('m', 1) });
  assert.deepEqual(
    both.streams.map((s) => s.id),
    ['m', 'z'],
  );
});

test('stream-removed drops it; an unknown id changes nothing (same object)', () => {
  const next = reduceDirectory(view, { type: 'stream-removed', id: 'b' });
  assert.deepEqual(
    next.streams.map((s) => s.id),
    ['a'],
  );
  assert.equal(reduceDirectory(view, { type: 'stream-removed', id: 'nope' }), view);
});

test('machines replaces the machine list and the stale flag, keeps streams', () => {
  const next = reduceDirectory(view, { type: 'machines', machines: [], stale: true });
  assert.deepEqual(next.machines, []);
  assert.equal(next.stale, true);
  assert.equal(next.streams, view.streams);
});

test('parseDirectoryEvent accepts each event and refuses malformed data', () => {
  assert.deepEqual(parseDirectoryEvent('state', JSON.stringify(view)), { type: 'state', view });
  assert.deepEqual(parseDirectoryEvent('stream', JSON.stringify(stream('x', 1))), {
    type: 'stream',
    stream: stream('x', 1),
  });
  assert.deepEqual(parseDirectoryEvent('stream-removed', '{"id":"x"}'), { type: 'stream-removed', id: 'x' });
  assert.deepEqual(parseDirectoryEvent('machines', '{"machines":[],"stale":true}'), {
    type: 'machines',
    machines: [],
    stale: true,
  });
  const bad: Array<[string, string]> = [
    ['state', 'not json'],
    ['state', '{"streams":[],"machines":[]}'],
    ['state', '{"streams":[{"id":"x"}],"machines":[],"stale":false}'],
    ['stream', JSON.stringify({ ...stream('x', 1), viewers: -1 })],
    ['stream', JSON.stringify({ ...stream('x', 1), startedAt: '1' })],
    ['stream', JSON.stringify({ ...stream('x', 1), id: '' })],
    ['stream', '[]'],
    ['stream-removed', '{"id":3}'],
    ['machines', '{"machines":[{"id":"a"}],"stale":false}'],
    ['machines', '{"machines":[]}'],
    ['unknown', '{}'],
  ];
  for (const [event, data] of bad) assert.equal(parseDirectoryEvent(event, data), null, `${event} ${data}`);
});

test('parseView sorts what it is given and ignores extra fields', () => {
  const parsed = parseView({
    streams: [stream('a', 100), { ...stream('b', 200), extra: 1 }],
    machines: [],
    stale: false,
    more: true,
  });
  assert.deepEqual(
    parsed?.streams.map((s) => s.id),
    ['b', 'a'],
  );
  assert.equal(parseView(null), null);
});

test('watchUrl carries the home Machine as ?instance=, escaping the id', () => {
  assert.equal(watchUrl({ id: '01ABC', machineId: A }), `/watch/01ABC?instance=${A}`);
  assert.equal(watchUrl({ id: 'a b', machineId: A }), `/watch/a%20b?instance=${A}`);
  assert.equal(watchUrl({ id: 'x', machineId: '' }), '/watch/x');
  assert.equal(watchUrl({ id: 'x', machineId: 'local' }), '/watch/x', 'off Fly');
  assert.equal(watchUrl({ id: 'x', machineId: 'ZZZ"><b>' }), '/watch/x');
});

test('regionsOf lists distinct regions sorted', () => {
  const m = (id: string, region: string) => ({ id, region, streams: 0, lastSeenMs: 0 });
  assert.deepEqual(regionsOf([m('1', 'dfw'), m('2', 'ams'), m('3', 'dfw')]), ['ams', 'dfw']);
  assert.deepEqual(regionsOf([]), []);
});

test('a stream event carries its thumbnail version when the Machine has one; a bad one drops the event', () => {
  const base = { id: 'a', title: 't', creator: 'c', machineId: A, region: 'ams', viewers: 0, startedAt: 1 };
  const rows: Array<[unknown, number | undefined | null]> = [
    [undefined, undefined],
    [1_700_000_000_000, 1_700_000_000_000],
    [1, 1],
    [0, null],
    [-3, null],
    [2.5, null],
    ['7', null],
  ];
  for (const [thumbnail, want] of rows) {
    const action = parseDirectoryEvent('stream', JSON.stringify({ ...base, thumbnail }));
    if (want === null) assert.equal(action, null, `${thumbnail}`);
    else assert.equal(action?.type === 'stream' && action.stream.thumbnail, want, `${thumbnail}`);
  }
});
