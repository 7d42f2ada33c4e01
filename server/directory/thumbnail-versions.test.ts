import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monotonicFactory } from 'ulid';
import { parseSnapshot, type SnapshotRules, type SnapshotStream } from './snapshot.ts';
import {
  sameThumbnails,
  type ThumbnailVersions,
  withOwnThumbnails,
  withServedThumbnails,
} from './thumbnail-versions.ts';
import { type DirectoryView, diffViews } from './view.ts';

const ulid = monotonicFactory();
const SELF = 'aaaaaaaaaaaaaa';
const PEER = 'bbbbbbbbbbbbbb';
const stream = (id: string, machineId: string, thumbnail?: number) => ({
  id,
  title: `t-${id}`,
  creator: 'c',
  machineId,
  region: 'ams',
  viewers: 0,
  startedAt: 1,
  epoch: 0,
  ...(thumbnail !== undefined && { thumbnail }),
});

const versions: ThumbnailVersions = {
  own: (id) => ({ a: 10 })[id],
  copy: (id, home) => (id === 'p' && home === PEER ? 20 : undefined),
};

test('own streams carry their own thumbnail versions into the snapshot; none yet, none named', () => {
  const summaries = [
    { id: 'a', title: 'A', creator: 'c', viewers: 0, startedAt: 1, epoch: 0 },
    { id: 'b', title: 'B', creator: 'c', viewers: 0, startedAt: 2, epoch: 0 },
  ];
  const got = withOwnThumbnails(summaries, versions);
  assert.equal(got[0]!.thumbnail, 10);
  assert.equal('thumbnail' in got[1]!, false);
});

test('sameThumbnails compares the versions stream by stream', () => {
  const a: SnapshotStream[] = [{ id: 'x', title: '', creator: '', viewers: 0, startedAt: 0, epoch: 0, thumbnail: 1 }];
  const rows: Array<[string, SnapshotStream[], boolean]> = [
    ['same', [{ ...a[0]!, viewers: 5 }], true],
    ['a newer version', [{ ...a[0]!, thumbnail: 2 }], false],
    ['none any more', [{ id: 'x', title: '', creator: '', viewers: 0, startedAt: 0, epoch: 0 }], false],
    ['another stream', [{ ...a[0]!, id: 'y' }], false],
    ['fewer streams', [], false],
  ];
  for (const [what, b, want] of rows) assert.equal(sameThumbnails(a, b), want, what);
});

test('the public view names, for a peer-hosted stream, the copy held here, not what its home advertises', () => {
  const view: DirectoryView = {
    streams: [stream('a', SELF, 10), stream('p', PEER, 25), stream('q', PEER, 30), stream('r', PEER)],
    machines: [],
    stale: false,
  };
  const served = withServedThumbnails(view, SELF, versions);
  assert.deepEqual(
    served.streams.map((s) => [s.id, s.thumbnail]),
    [
      ['a', 10],
      ['p', 20],
      ['q', undefined],
      ['r', undefined],
    ],
  );
  assert.equal('thumbnail' in served.streams[2]!, false, 'no key at all, as in the JSON');
});

test('a new thumbnail version is a stream event in the SSE feed', () => {
  const before: DirectoryView = { streams: [stream('p', PEER, 1)], machines: [], stale: false };
  const after: DirectoryView = { streams: [stream('p', PEER, 2)], machines: [], stale: false };
  assert.deepEqual(diffViews(before, after), [{ event: 'stream', data: stream('p', PEER, 2) }]);
  assert.deepEqual(diffViews(after, after), []);
});

test('a peer snapshot may name a thumbnail version per stream, as its home makes them: within its boot and now', () => {
  const bootMs = Date.UTC(2025, 0, 1, 12);
  const rules: SnapshotRules = {
    nowMs: bootMs + 3_600_000,
    maxStreams: 50,
    maxViewersPerStream: 1000,
    clockSkewMs: 60_000,
  };
  const snapshot = (thumbnail: unknown) => ({
    machineId: PEER,
    region: 'ams',
    bootId: ulid(bootMs),
    version: 1,
    streams: [{ id: ulid(bootMs + 1000), title: 'T', creator: 'c', viewers: 0, startedAt: bootMs + 1000, thumbnail }],
  });
  for (const good of [bootMs - 60_000, bootMs + 5000, rules.nowMs + 60_000]) {
    const accepted = parseSnapshot(snapshot(good), rules);
    assert.equal(accepted.ok && accepted.snapshot.streams[0]!.thumbnail, good, String(good));
  }
  const absent = parseSnapshot(snapshot(undefined), rules);
  assert.equal(absent.ok && 'thumbnail' in absent.snapshot.streams[0]!, false);
  const bad: unknown[] = [0, 7, bootMs - 60_001, rules.nowMs + 60_001, bootMs + 0.5, String(bootMs), null, { v: 1 }];
  for (const value of bad) {
    const parsed = parseSnapshot(snapshot(value), rules);
    assert.equal(
      !parsed.ok && parsed.error,
      'streams[0].thumbnail must be a thumbnail version: ms since the epoch, after its Machine booted and not in the future',
      JSON.stringify(value),
    );
  }
});
