import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from './snapshot.ts';
import { DirectoryState } from './state.ts';

const SELF = 'aaaaaaaaaaaaaa';
const P = 'bbbbbbbbbbbbbb';
const Q = 'cccccccccccccc';
const R = 'dddddddddddddd';
const BOOT_1 = '01J0000000000000000000000A';
const BOOT_2 = '01J0000000000000000000000B';
const rules = { maxFailedFetches: 3, absentGraceMs: 1000, tombstoneMs: 60_000, maxMachines: 1000 };

function snap(id: string, bootId: string, version: number, streams = 1): Snapshot {
  return {
    machineId: id,
    region: 'ams',
    bootId,
    version,
    streams: Array.from({ length: streams }, (_, i) => ({
      id: `${id}-${bootId.slice(-1)}-${version}-${i}`,
      title: 't',
      creator: 'c',
      viewers: 0,
      startedAt: 1,
    })),
  };
}

type Op =
  | { at: number; vms: string[] }
  | { at: number; push: Snapshot }
  | { at: number; fetched: Snapshot }
  | { at: number; notModified: string }
  | { at: number; fail: string };

interface Row {
  name: string;
  ops: Op[];
  /** Machine id -> version of the shown snapshot; absent = not shown. */
  shown: Record<string, string>;
  known?: Record<string, boolean>;
  outcomes?: string[];
}

function run(ops: Op[], maxMachines = rules.maxMachines): { state: DirectoryState; outcomes: string[] } {
  const state = new DirectoryState(SELF, { ...rules, maxMachines });
  const outcomes: string[] = [];
  for (const op of ops) {
    if ('vms' in op) {
      const change = state.applyMembership(
        op.vms.map((id) => ({ id, region: 'ams' })),
        op.at,
      );
      const overflow = change.overflow > 0 ? ` overflow:${change.overflow}` : '';
      outcomes.push(`joined:${change.joined.join('+')} dropped:${change.dropped.join('+')}${overflow}`);
    } else if ('push' in op) outcomes.push(state.applySnapshot(op.push, op.at, 'push'));
    else if ('fetched' in op) outcomes.push(state.applySnapshot(op.fetched, op.at, 'fetch'));
    else if ('notModified' in op) outcomes.push(String(state.notModified(op.notModified, op.at)));
    else outcomes.push(state.fetchFailed(op.fail, op.at));
  }
  return { state, outcomes };
}

function shown(state: DirectoryState): Record<string, string> {
  return Object.fromEntries(
    state.visible().map((rec) => [rec.id, `${rec.snapshot!.bootId.slice(-1)}${rec.snapshot!.version}`]),
  );
}

test('DirectoryState: newest snapshot per Machine wins; late and duplicate messages change nothing', () => {
  const rows: Row[] = [
    {
      name: 'fetched after listing',
      ops: [
        { at: 0, vms: [SELF, P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
      ],
      shown: { [P]: 'A1' },
      outcomes: [`joined:${P} dropped:`, 'applied'],
    },
    { name: 'self in vms is not a peer', ops: [{ at: 0, vms: [SELF] }], shown: {}, outcomes: ['joined: dropped:'] },
    {
      name: 'own snapshot echoed back is ignored',
      ops: [{ at: 0, push: snap(SELF, BOOT_1, 1) }],
      shown: {},
      outcomes: ['self'],
    },
    {
      name: 'newer version replaces',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, push: snap(P, BOOT_1, 2) },
      ],
      shown: { [P]: 'A2' },
    },
    {
      name: 'older push after newer is ignored',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 5) },
        { at: 2, push: snap(P, BOOT_1, 4) },
      ],
      shown: { [P]: 'A5' },
      outcomes: [`joined:${P} dropped:`, 'applied', 'older'],
    },
    {
      name: 'duplicate changes nothing',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 5) },
        { at: 2, push: snap(P, BOOT_1, 5, 3) },
      ],
      shown: { [P]: 'A5' },
      outcomes: [`joined:${P} dropped:`, 'applied', 'duplicate'],
    },
    {
      name: 'fetch slower than a push does not roll back',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 3) },
        { at: 2, fetched: snap(P, BOOT_1, 2) },
      ],
      shown: { [P]: 'A3' },
    },
    {
      name: 'restart: new boot wins with a low version',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 50) },
        { at: 2, push: snap(P, BOOT_2, 1) },
      ],
      shown: { [P]: 'B1' },
    },
    {
      name: 'old boot after restart ignored',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_2, 1) },
        { at: 2, push: snap(P, BOOT_1, 99) },
      ],
      shown: { [P]: 'B1' },
      outcomes: [`joined:${P} dropped:`, 'applied', 'older'],
    },
  ];
  for (const row of rows) {
    const { state, outcomes } = run(row.ops);
    assert.deepEqual(shown(state), row.shown, row.name);
    if (row.outcomes) assert.deepEqual(outcomes, row.outcomes, row.name);
  }
});

test('DirectoryState: forgetting on leave, on 3 failed fetches, grace for pushes, tombstones', () => {
  const rows: Row[] = [
    {
      name: 'left vms: dropped at once',
      ops: [
        { at: 0, vms: [P, Q] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fetched: snap(Q, BOOT_1, 1) },
        { at: 3, vms: [Q] },
      ],
      shown: { [Q]: 'A1' },
      known: { [P]: false, [Q]: true },
    },
    {
      name: 'left vms right after a push: still dropped',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 1) },
        { at: 2, vms: [] },
      ],
      shown: {},
      known: { [P]: false },
    },
    {
      name: '2 failures keep it',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fail: P },
        { at: 3, fail: P },
      ],
      shown: { [P]: 'A1' },
      outcomes: [`joined:${P} dropped:`, 'applied', 'failed', 'failed'],
    },
    {
      name: '3 failures in a row drop it, still known (listed)',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fail: P },
        { at: 3, fail: P },
        { at: 4, fail: P },
      ],
      shown: {},
      known: { [P]: true },
      outcomes: [`joined:${P} dropped:`, 'applied', 'failed', 'failed', 'dropped'],
    },
    {
      name: 'a success resets the count (fetch)',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fail: P },
        { at: 3, fail: P },
        { at: 4, fetched: snap(P, BOOT_1, 1) },
        { at: 5, fail: P },
        { at: 6, fail: P },
      ],
      shown: { [P]: 'A1' },
    },
    {
      name: 'a 304 resets the count',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fail: P },
        { at: 3, fail: P },
        { at: 4, notModified: P },
        { at: 5, fail: P },
        { at: 6, fail: P },
      ],
      shown: { [P]: 'A1' },
    },
    {
      name: 'dropped after failures, reachable again with the same snapshot: back',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, fail: P },
        { at: 3, fail: P },
        { at: 4, fail: P },
        { at: 5, fetched: snap(P, BOOT_1, 1) },
      ],
      shown: { [P]: 'A1' },
    },
    {
      name: 'dropped after failures, an older snapshot does not come back',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, fetched: snap(P, BOOT_1, 2) },
        { at: 2, fail: P },
        { at: 3, fail: P },
        { at: 4, fail: P },
        { at: 5, push: snap(P, BOOT_1, 1) },
      ],
      shown: {},
    },
    {
      name: 'unlisted pusher kept within grace',
      ops: [
        { at: 0, vms: [] },
        { at: 100, push: snap(P, BOOT_1, 1) },
        { at: 1099, vms: [] },
      ],
      shown: { [P]: 'A1' },
      known: { [P]: true },
    },
    {
      name: 'unlisted pusher dropped after grace',
      ops: [
        { at: 0, vms: [] },
        { at: 100, push: snap(P, BOOT_1, 1) },
        { at: 1100, vms: [] },
      ],
      shown: {},
      known: { [P]: false },
    },
    {
      name: 'unlisted pusher that gets listed stays',
      ops: [
        { at: 100, push: snap(P, BOOT_1, 1) },
        { at: 500, vms: [P] },
        { at: 5000, vms: [P] },
      ],
      shown: { [P]: 'A1' },
    },
    {
      name: 'late duplicate after leaving does not revive (tombstone)',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 4) },
        { at: 2, vms: [] },
        { at: 3, push: snap(P, BOOT_1, 4) },
      ],
      shown: {},
      outcomes: [`joined:${P} dropped:`, 'applied', `joined: dropped:${P}`, 'duplicate'],
    },
    {
      name: 'late older message after leaving does not revive',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 4) },
        { at: 2, vms: [] },
        { at: 3, push: snap(P, BOOT_1, 3) },
      ],
      shown: {},
    },
    {
      name: 'restarted after leaving: new boot shown',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 4) },
        { at: 2, vms: [] },
        { at: 3, push: snap(P, BOOT_2, 1) },
      ],
      shown: { [P]: 'B1' },
    },
    {
      name: 'tombstone expires: record pruned, old message accepted as new',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 4) },
        { at: 2, vms: [] },
        { at: 60_002, vms: [] },
        { at: 60_003, push: snap(P, BOOT_1, 3) },
      ],
      shown: { [P]: 'A3' },
    },
    {
      name: 'tombstone kept just before expiry',
      ops: [
        { at: 0, vms: [P] },
        { at: 1, push: snap(P, BOOT_1, 4) },
        { at: 2, vms: [] },
        { at: 60_001, vms: [] },
        { at: 60_003, push: snap(P, BOOT_1, 3) },
      ],
      shown: {},
    },
    {
      name: 'listed but never fetched: known, not shown',
      ops: [{ at: 0, vms: [P] }],
      shown: {},
      known: { [P]: true, [Q]: false, [SELF]: true },
    },
  ];
  for (const row of rows) {
    const { state, outcomes } = run(row.ops);
    assert.deepEqual(shown(state), row.shown, row.name);
    if (row.outcomes) assert.deepEqual(outcomes, row.outcomes, row.name);
    for (const [id, known] of Object.entries(row.known ?? {}))
      assert.equal(state.knows(id), known, `${row.name}: knows(${id})`);
  }
});

test('DirectoryState: fetch targets are listed peers, push targets also shown pushers', () => {
  const { state } = run([
    { at: 0, vms: [SELF, P] },
    { at: 1, push: snap(Q, BOOT_1, 1) },
  ]);
  assert.deepEqual(
    state.listed().map((r) => r.id),
    [P],
  );
  assert.deepEqual(
    state
      .pushTargets()
      .map((r) => r.id)
      .sort(),
    [P, Q],
  );
});

test('DirectoryState: at most maxMachines records; a remembered Machine makes way, a listed or shown one never', () => {
  const rows: (Row & { records: string[] })[] = [
    {
      name: 'a push from a third Machine is turned away',
      ops: [
        { at: 0, vms: [P, Q] },
        { at: 1, push: snap(R, BOOT_1, 1) },
      ],
      shown: {},
      outcomes: [`joined:${P}+${Q} dropped:`, 'full'],
      records: [P, Q],
    },
    {
      name: 'two pushers fill it; the third is turned away',
      ops: [
        { at: 0, push: snap(P, BOOT_1, 1) },
        { at: 1, push: snap(Q, BOOT_1, 1) },
        { at: 2, push: snap(R, BOOT_1, 1) },
      ],
      shown: { [P]: 'A1', [Q]: 'A1' },
      outcomes: ['applied', 'applied', 'full'],
      records: [P, Q],
    },
    {
      name: "a forgotten Machine's record makes way for a new one",
      ops: [
        { at: 0, vms: [P, Q] },
        { at: 1, push: snap(P, BOOT_1, 1) },
        { at: 2, vms: [Q] },
        { at: 3, push: snap(R, BOOT_1, 1) },
      ],
      shown: { [R]: 'A1' },
      outcomes: [`joined:${P}+${Q} dropped:`, 'applied', `joined: dropped:${P}`, 'applied'],
      records: [Q, R],
    },
    {
      name: 'the one forgotten longest ago goes first',
      ops: [
        { at: 0, vms: [P, Q] },
        { at: 1, push: snap(P, BOOT_1, 1) },
        { at: 2, push: snap(Q, BOOT_1, 1) },
        { at: 3, vms: [Q] },
        { at: 4, vms: [] },
        { at: 5, push: snap(R, BOOT_1, 1) },
      ],
      shown: { [R]: 'A1' },
      records: [Q, R],
    },
    {
      name: 'leavers make way for newcomers in the same answer',
      ops: [
        { at: 0, vms: [P, Q] },
        { at: 1, fetched: snap(P, BOOT_1, 1) },
        { at: 2, vms: [Q, R] },
      ],
      shown: {},
      outcomes: [`joined:${P}+${Q} dropped:`, 'applied', `joined:${R} dropped:${P}`],
      records: [Q, R],
    },
    {
      name: 'vms listing more Machines than kept: the rest are left out and counted',
      ops: [{ at: 0, vms: [SELF, P, Q, R] }],
      shown: {},
      outcomes: [`joined:${P}+${Q} dropped: overflow:1`],
      records: [P, Q],
    },
  ];
  for (const row of rows) {
    const { state, outcomes } = run(row.ops, 2);
    assert.deepEqual(shown(state), row.shown, row.name);
    if (row.outcomes) assert.deepEqual(outcomes, row.outcomes, row.name);
    assert.deepEqual([...state.records.keys()].sort(), row.records, `${row.name}: records`);
  }
});

test('DirectoryState: the revision moves when a shown snapshot changes, and only then', () => {
  const state = new DirectoryState(SELF, rules);
  const steps: [string, () => unknown, number][] = [
    ['listing', () => state.applyMembership([{ id: P, region: 'ams' }], 0), 0],
    ['first snapshot', () => state.applySnapshot(snap(P, BOOT_1, 1), 1, 'fetch'), 1],
    ['duplicate', () => state.applySnapshot(snap(P, BOOT_1, 1), 2, 'push'), 1],
    ['older', () => state.applySnapshot(snap(P, BOOT_1, 0), 3, 'push'), 1],
    ['304', () => state.notModified(P, 4), 1],
    ['a failed fetch', () => state.fetchFailed(P, 5), 1],
    ['newer', () => state.applySnapshot(snap(P, BOOT_1, 2), 6, 'push'), 2],
    ['own snapshot', () => state.applySnapshot(snap(SELF, BOOT_1, 9), 7, 'push'), 2],
    ['left vms', () => state.applyMembership([], 8), 3],
    ['left again', () => state.applyMembership([], 9), 3],
  ];
  for (const [name, step, revision] of steps) {
    step();
    assert.equal(state.revision, revision, name);
  }
});
