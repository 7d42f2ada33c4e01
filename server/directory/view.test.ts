import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from './snapshot.ts';
import type { MachineRecord } from './state.ts';
import { buildView, type DirectoryView, diffViews } from './view.ts';

const SELF = 'aaaaaaaaaaaaaa';
const P = 'bbbbbbbbbbbbbb';
const Q = 'cccccccccccccc';

function snapshot(machineId: string, region: string, streams: [string, number, number?][]): Snapshot {
  return {
    machineId,
    region,
    bootId: 'B',
    version: 1,
    streams: streams.map(([id, startedAt, epoch = 0]) => ({
      id,
      title: `t-${id}`,
      creator: 'c',
      viewers: 1,
      startedAt,
      epoch,
    })),
  };
}

function record(snap: Snapshot | null, id: string, lastSeenMs: number | null): MachineRecord {
  return {
    id,
    region: snap?.region ?? 'ams',
    listed: true,
    snapshot: snap,
    newest: null,
    lastSeenMs,
    pushedAtMs: null,
    failures: 0,
    forgottenAtMs: null,
  };
}

test('buildView merges self and shown peers, newest streams first, Machines by region then id', () => {
  const view = buildView(
    snapshot(SELF, 'dfw', [['s-old', 10]]),
    [
      record(
        snapshot(P, 'ams', [
          ['s-new', 30],
          ['s-mid', 20],
        ]),
        P,
        900,
      ),
      record(null, Q, 5),
      record(snapshot(Q, 'ams', []), Q, 800),
    ],
    1000,
    false,
  );
  assert.deepEqual(
    view.streams.map((s) => [s.id, s.machineId, s.region]),
    [
      ['s-new', P, 'ams'],
      ['s-mid', P, 'ams'],
      ['s-old', SELF, 'dfw'],
    ],
  );
  assert.deepEqual(view.machines, [
    { id: P, region: 'ams', streams: 2, lastSeenMs: 900 },
    { id: Q, region: 'ams', streams: 0, lastSeenMs: 800 },
    { id: SELF, region: 'dfw', streams: 1, lastSeenMs: 1000 },
  ]);
  assert.equal(view.stale, false);
  assert.deepEqual(view.streams[2], {
    id: 's-old',
    title: 't-s-old',
    creator: 'c',
    machineId: SELF,
    region: 'dfw',
    viewers: 1,
    startedAt: 10,
    epoch: 0,
  });
});

test('buildView: a stream id claimed twice is listed once, at the higher epoch, else the later start, else the lower Machine id', () => {
  // P's id sorts after SELF's, Q's after P's.
  const rows: { self: [number, number]; peer: [number, number]; peerId: string; home: string }[] = [
    { self: [10, 0], peer: [10, 1], peerId: P, home: P },
    { self: [10, 2], peer: [10, 1], peerId: P, home: SELF },
    { self: [20, 0], peer: [10, 1], peerId: P, home: P },
    { self: [10, 1], peer: [20, 1], peerId: P, home: P },
    { self: [20, 1], peer: [10, 1], peerId: P, home: SELF },
    { self: [10, 1], peer: [10, 1], peerId: P, home: SELF },
  ];
  for (const row of rows) {
    const view = buildView(
      snapshot(SELF, 'dfw', [['dup', ...row.self]]),
      [record(snapshot(row.peerId, 'ams', [['dup', ...row.peer]]), row.peerId, 1)],
      5,
      true,
    );
    assert.equal(view.streams.length, 1);
    assert.equal(view.streams[0]!.machineId, row.home, JSON.stringify(row));
    assert.equal(view.streams[0]!.epoch, Math.max(row.self[1], row.peer[1]), JSON.stringify(row));
  }
  // Two peers tied: the lower id, whichever record comes first.
  for (const order of [
    [P, Q],
    [Q, P],
  ]) {
    const view = buildView(
      null,
      order.map((id) => record(snapshot(id, 'ams', [['dup', 10, 1]]), id, 1)),
      5,
      true,
    );
    assert.equal(view.streams[0]!.machineId, P, order.join(','));
  }
});

test("buildView carries each Machine's relay readiness when it reported one", () => {
  const self = { ...snapshot(SELF, 'ams', []), relay: 'ok' as const };
  const peer = { ...snapshot(P, 'dfw', []), relay: 'down' as const };
  const quiet = snapshot(Q, 'dfw', []);
  const view = buildView(self, [record(peer, P, 5), record(quiet, Q, 5)], 10, false);
  assert.deepEqual(
    view.machines.map((m) => [m.id, m.relay]),
    [
      [SELF, 'ok'],
      [P, 'down'],
      [Q, undefined],
    ],
  );
  assert.equal('relay' in view.machines[2]!, false);
});

test('diffViews emits removals, upserts and machine changes only', () => {
  const stream = (id: string, viewers = 1) => ({
    id,
    title: 't',
    creator: 'c',
    machineId: P,
    region: 'ams',
    viewers,
    startedAt: 1,
    epoch: 0,
  });
  const machine = (streams: number, lastSeenMs = 1) => ({ id: P, region: 'ams', streams, lastSeenMs });
  const base: DirectoryView = { streams: [stream('a'), stream('b')], machines: [machine(2)], stale: false };
  const rows: { name: string; next: DirectoryView; events: string[] }[] = [
    { name: 'nothing', next: base, events: [] },
    { name: 'lastSeenMs only', next: { ...base, machines: [machine(2, 99)] }, events: [] },
    { name: 'viewer count', next: { ...base, streams: [stream('a', 5), stream('b')] }, events: ['stream:a'] },
    {
      name: 'added',
      next: { ...base, streams: [stream('c'), stream('a'), stream('b')], machines: [machine(3)] },
      events: ['stream:c', 'machines'],
    },
    {
      name: 'removed',
      next: { ...base, streams: [stream('b')], machines: [machine(1)] },
      events: ['stream-removed:a', 'machines'],
    },
    { name: 'stale flips', next: { ...base, stale: true }, events: ['machines'] },
    {
      name: 'relay readiness reported',
      next: { ...base, machines: [{ ...machine(2), relay: 'ok' }] },
      events: ['machines'],
    },
    {
      name: 'machine gone',
      next: { streams: [], machines: [], stale: false },
      events: ['stream-removed:a', 'stream-removed:b', 'machines'],
    },
  ];
  for (const row of rows) {
    const events = diffViews(base, row.next).map((e) =>
      e.event === 'machines' ? 'machines' : `${e.event}:${e.data.id}`,
    );
    assert.deepEqual(events, row.events, row.name);
  }
});

test('a relayed stream lists where it is served: its home, then its relays by region; machines carry their load', () => {
  const home = snapshot(SELF, 'dfw', [
    ['S1', 10],
    ['S2', 20],
  ]);
  home.streams[0]!.viewers = 9;
  home.streams[0]!.homeViewers = 2;
  const fra = {
    ...snapshot(Q, 'fra', []),
    connections: 4,
    relayed: [
      { id: 'S1', viewers: 4 },
      { id: 'S2', viewers: 0 },
    ],
  };
  const ams = { ...snapshot(P, 'ams', []), connections: 3, relayed: [{ id: 'S1', viewers: 3 }] };
  const view = buildView(home, [record(fra, Q, 1), record(ams, P, 1)], 5, false);
  const s1 = view.streams.find((s) => s.id === 'S1')!;
  assert.equal(s1.viewers, 9, 'the home total');
  assert.deepEqual(s1.servedBy, [
    { machineId: SELF, region: 'dfw', viewers: 2, role: 'home' },
    { machineId: P, region: 'ams', viewers: 3, role: 'relay' },
    { machineId: Q, region: 'fra', viewers: 4, role: 'relay' },
  ]);
  assert.equal(
    view.streams.find((s) => s.id === 'S2')!.servedBy,
    undefined,
    'a relay lingering with no viewer serves no one: all its viewers are on the home',
  );
  assert.deepEqual(
    view.machines.map((m) => [m.id, m.connections, m.relayed]),
    [
      [P, 3, [{ id: 'S1', viewers: 3 }]],
      [SELF, undefined, undefined],
      [
        Q,
        4,
        [
          { id: 'S1', viewers: 4 },
          { id: 'S2', viewers: 0 },
        ],
      ],
    ],
    "a Machine's own load still lists what it keeps subscribed",
  );
  // A relay's count moving is an SSE change of the stream and of the machines.
  const moved = buildView(
    home,
    [record(fra, Q, 1), record({ ...ams, relayed: [{ id: 'S1', viewers: 5 }] }, P, 1)],
    5,
    false,
  );
  assert.deepEqual(
    diffViews(view, moved).map((e) => e.event),
    ['stream', 'machines'],
  );
});
