import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AdvertisedStream, type HeldVersion, planSync, type Setback, type SyncPlan } from './sync-plan.ts';

const H1 = 'aaaaaaaaaaaaaa';
const H2 = 'bbbbbbbbbbbbbb';
const s = (id: string, machineId: string, thumbnail?: number): AdvertisedStream =>
  thumbnail === undefined ? { id, machineId } : { id, machineId, thumbnail };

interface Row {
  what: string;
  streams: AdvertisedStream[];
  held?: Array<[string, HeldVersion]>;
  busy?: string[];
  setbacks?: Array<[string, Setback]>;
  want: { fetch?: string[]; drop?: string[]; forget?: string[] };
}

const rows: Row[] = [
  { what: 'no thumbnail advertised: nothing to do', streams: [s('x', H1)], want: {} },
  { what: 'a first version: fetch it', streams: [s('x', H1, 5)], want: { fetch: ['x'] } },
  { what: 'held and current: nothing', streams: [s('x', H1, 5)], held: [['x', { home: H1, version: 5 }]], want: {} },
  {
    what: 'held but older: fetch the newer',
    streams: [s('x', H1, 6)],
    held: [['x', { home: H1, version: 5 }]],
    want: { fetch: ['x'] },
  },
  {
    what: 'held newer than advertised (the snapshot lags the home): nothing',
    streams: [s('x', H1, 5)],
    held: [['x', { home: H1, version: 7 }]],
    want: {},
  },
  { what: 'already on the wire: not twice', streams: [s('x', H1, 6)], busy: ['x'], want: {} },
  {
    what: 'the stream ended: drop its copy and forget its setbacks',
    streams: [],
    held: [['x', { home: H1, version: 5 }]],
    setbacks: [['y', { home: H1, version: 3, attempts: 1 }]],
    want: { drop: ['x'], forget: ['y'] },
  },
  {
    what: 'the stream moved to another home: drop the old copy, fetch from the new home',
    streams: [s('x', H2, 2)],
    held: [['x', { home: H1, version: 9 }]],
    want: { fetch: ['x'], drop: ['x'] },
  },
  {
    what: 'its home has none any more: drop',
    streams: [s('x', H1)],
    held: [['x', { home: H1, version: 5 }]],
    want: { drop: ['x'] },
  },
  {
    what: 'failed fewer times than allowed: try again',
    streams: [s('x', H1, 6)],
    setbacks: [['x', { home: H1, version: 6, attempts: 2 }]],
    want: { fetch: ['x'] },
  },
  {
    what: 'failed as often as allowed: given up on that version',
    streams: [s('x', H1, 6)],
    setbacks: [['x', { home: H1, version: 6, attempts: 3 }]],
    want: {},
  },
  {
    what: 'refused (or evicted) version: not again',
    streams: [s('x', H1, 6)],
    setbacks: [['x', { home: H1, version: 6, attempts: Infinity }]],
    want: {},
  },
  {
    what: 'a newer version after a refused one: fetch it',
    streams: [s('x', H1, 7)],
    setbacks: [['x', { home: H1, version: 6, attempts: Infinity }]],
    want: { fetch: ['x'] },
  },
  {
    what: 'a setback from the old home does not hold back the new one',
    streams: [s('x', H2, 1)],
    setbacks: [['x', { home: H1, version: 6, attempts: Infinity }]],
    want: { fetch: ['x'] },
  },
];

for (const row of rows) {
  test(`planSync: ${row.what}`, () => {
    const plan = planSync({
      streams: row.streams,
      held: new Map(row.held ?? []),
      busy: new Set(row.busy ?? []),
      setbacks: new Map(row.setbacks ?? []),
      maxAttempts: 3,
    });
    const got: SyncPlan = { fetch: plan.fetch, drop: plan.drop, forget: plan.forget };
    assert.deepEqual(
      { fetch: got.fetch.map((f) => f.id), drop: got.drop, forget: got.forget },
      { fetch: row.want.fetch ?? [], drop: row.want.drop ?? [], forget: row.want.forget ?? [] },
    );
  });
}
