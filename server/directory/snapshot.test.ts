import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeTime } from 'ulid';
import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import {
  bootTimeMs,
  compareOrder,
  isNewer,
  parseSnapshot,
  type SnapshotRules,
  snapshotEtag,
  snapshotRules,
} from './snapshot.ts';

const BOOT_1 = '01J0000000000000000000000A';
const BOOT_2 = '01J0000000000000000000000B';

test('snapshot order: a later boot wins whatever its version, then the higher version', () => {
  const rows: { a: [string, number]; b: [string, number]; sign: -1 | 0 | 1 }[] = [
    { a: [BOOT_1, 2], b: [BOOT_1, 1], sign: 1 },
    { a: [BOOT_1, 1], b: [BOOT_1, 2], sign: -1 },
    { a: [BOOT_1, 7], b: [BOOT_1, 7], sign: 0 },
    { a: [BOOT_2, 1], b: [BOOT_1, 900], sign: 1 },
    { a: [BOOT_1, 900], b: [BOOT_2, 1], sign: -1 },
  ];
  for (const { a, b, sign } of rows) {
    const got = Math.sign(compareOrder({ bootId: a[0], version: a[1] }, { bootId: b[0], version: b[1] }));
    assert.equal(got, sign, `${a} vs ${b}`);
  }
  assert.equal(isNewer({ bootId: BOOT_1, version: 1 }, null), true);
  assert.equal(isNewer({ bootId: BOOT_1, version: 1 }, undefined), true);
  assert.equal(
    isNewer({ bootId: BOOT_1, version: 3 }, { bootId: BOOT_1, version: 3 }),
    false,
    'a duplicate is not newer',
  );
  assert.equal(isNewer({ bootId: BOOT_1, version: 4 }, { bootId: BOOT_1, version: 3 }), true);
});

test('snapshotEtag names boot and version and is a quoted strong ETag', () => {
  assert.equal(snapshotEtag({ bootId: BOOT_1, version: 12 }), `"${BOOT_1}.12"`);
  assert.notEqual(snapshotEtag({ bootId: BOOT_1, version: 12 }), snapshotEtag({ bootId: BOOT_2, version: 12 }));
});

const NOW = Date.UTC(2025, 5, 1, 12);
const SKEW = 60_000;
const rules: SnapshotRules = { nowMs: NOW, maxStreams: 3, maxViewersPerStream: 1000, clockSkewMs: SKEW };
/** A boot id made at `ms` (its random part fixed, so rows are repeatable). */
const bootAt = (ms: number) => `${encodeTime(ms, 10)}${'7'.repeat(16)}`;
const BOOT_MS = NOW - 3_600_000;
const STREAM_ID = '01JXB0ZQ3V5M9T2K8C4N6R7P1S';
/** A stream created a day before the Machine booted: it moved here. */
const MOVED_AT_MS = BOOT_MS - 86_400_000;
const MOVED_ID = `${encodeTime(MOVED_AT_MS, 10)}${'7'.repeat(16)}`;

const good = {
  machineId: '286533db064e58',
  region: 'ams',
  bootId: bootAt(BOOT_MS),
  version: 3,
  streams: [{ id: STREAM_ID, title: 'Hello', creator: 'ann', viewers: 2, startedAt: NOW - 60_000, epoch: 0 }],
};

test('parseSnapshot accepts a good snapshot and copies only known fields', () => {
  const result = parseSnapshot({ ...good, extra: 1, streams: [{ ...good.streams[0], secret: 'x' }] }, rules);
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.deepEqual(result.snapshot, good);
  const { epoch: _, ...withoutEpoch } = good.streams[0]!;
  const older = parseSnapshot({ ...good, streams: [withoutEpoch] }, rules);
  assert.deepEqual(older.ok && older.snapshot, good, 'no epoch: 0');
  assert.equal('secret' in result.snapshot.streams[0]!, false);
});

test('parseSnapshot keeps relay readiness when given, and leaves it out when absent', () => {
  const withRelay = parseSnapshot({ ...good, relay: 'down' }, rules);
  assert.equal(withRelay.ok && withRelay.snapshot.relay, 'down');
  const without = parseSnapshot(good, rules);
  assert.equal(without.ok && 'relay' in without.snapshot, false);
});

test('parseSnapshot: each field is held to what this app makes, tested at its edges', () => {
  const stream = good.streams[0]!;
  const withStream = (patch: Record<string, unknown>) => ({ ...good, streams: [{ ...stream, ...patch }] });
  const streams = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ ...stream, id: `${STREAM_ID.slice(0, 25)}${'ABCDE'[i]}` }));
  const rows: { name: string; value: unknown; error: RegExp | null }[] = [
    { name: 'not an object', value: [], error: /JSON object/ },
    { name: 'null', value: null, error: /JSON object/ },
    { name: 'bad machine id', value: { ...good, machineId: 'd8913edc' }, error: /machineId/ },
    { name: 'bad region', value: { ...good, region: 'AMS' }, error: /region/ },
    { name: 'empty region is allowed', value: { ...good, region: '' }, error: null },
    {
      name: 'bootId "zzzz" (sorts after every real boot)',
      value: { ...good, bootId: 'zzzz' },
      error: /bootId must be a ULID/,
    },
    {
      name: 'bootId in lower case',
      value: { ...good, bootId: good.bootId.toLowerCase() },
      error: /bootId must be a ULID/,
    },
    {
      name: 'bootId past the largest ULID time',
      value: { ...good, bootId: 'Z'.repeat(26) },
      error: /bootId must be a ULID/,
    },
    {
      name: 'bootId of the year 10889',
      value: { ...good, bootId: '7'.repeat(26) },
      error: /bootId must not be from the future/,
    },
    { name: 'bootId one skew ahead', value: { ...good, bootId: bootAt(NOW + SKEW), streams: [] }, error: null },
    { name: 'bootId one skew and 1 ms ahead', value: { ...good, bootId: bootAt(NOW + SKEW + 1) }, error: /future/ },
    { name: 'negative version', value: { ...good, version: -1 }, error: /version/ },
    { name: 'fractional version', value: { ...good, version: 1.5 }, error: /version/ },
    { name: 'streams not array', value: { ...good, streams: {} }, error: /streams must be an array/ },
    { name: 'relay readiness ok', value: { ...good, relay: 'ok' }, error: null },
    { name: 'relay readiness off', value: { ...good, relay: 'off' }, error: null },
    { name: 'relay readiness unknown', value: { ...good, relay: 'maybe' }, error: /relay must be ok, down or off/ },
    { name: 'relay readiness not a string', value: { ...good, relay: 1 }, error: /relay must be/ },
    { name: 'relay readiness null', value: { ...good, relay: null }, error: /relay must be/ },
    { name: 'MAX_STREAMS streams', value: { ...good, streams: streams(3) }, error: null },
    {
      name: 'one stream over MAX_STREAMS',
      value: { ...good, streams: streams(4) },
      error: /at most 3 \(MAX_STREAMS\)/,
    },
    { name: 'stream not object', value: { ...good, streams: ['x'] }, error: /streams\[0\] must be an object/ },
    { name: 'id "../x?"', value: withStream({ id: '../x?' }), error: /streams\[0\]\.id must be a stream id/ },
    { name: 'id in lower case', value: withStream({ id: STREAM_ID.toLowerCase() }), error: /\.id must be/ },
    { name: 'empty title', value: withStream({ title: '' }), error: /streams\[0\]: title must be 1-100/ },
    { name: 'title of 100 chars', value: withStream({ title: 'x'.repeat(100) }), error: null },
    { name: 'title of 101 chars', value: withStream({ title: 'x'.repeat(101) }), error: /title must be 1-100/ },
    { name: 'title of 1024 chars', value: withStream({ title: 'x'.repeat(1024) }), error: /title must be 1-100/ },
    { name: 'title with a line break', value: withStream({ title: 'a\nb' }), error: /control characters/ },
    { name: 'title with outer spaces', value: withStream({ title: ' Hello ' }), error: /title must not start or end/ },
    { name: 'creator not string', value: withStream({ creator: 5 }), error: /creator must be a string/ },
    { name: 'creator of 40 chars', value: withStream({ creator: 'c'.repeat(40) }), error: null },
    { name: 'creator of 41 chars', value: withStream({ creator: 'c'.repeat(41) }), error: /creator must be 1-40/ },
    { name: 'creator with markup', value: withStream({ creator: '<b>x</b>' }), error: /creator may contain/ },
    { name: 'viewers at the bound', value: withStream({ viewers: 1000 }), error: null },
    {
      name: 'viewers over the bound',
      value: withStream({ viewers: 1001 }),
      error: /viewers must be a whole number from 0 to 1000/,
    },
    { name: 'viewers 2^53-1', value: withStream({ viewers: Number.MAX_SAFE_INTEGER }), error: /viewers/ },
    { name: 'negative viewers', value: withStream({ viewers: -1 }), error: /viewers/ },
    { name: 'fractional viewers', value: withStream({ viewers: 1.5 }), error: /viewers/ },
    { name: 'startedAt not a number', value: withStream({ startedAt: 'now' }), error: /startedAt/ },
    { name: 'startedAt one skew ahead', value: withStream({ startedAt: NOW + SKEW }), error: null },
    { name: 'startedAt one skew and 1 ms ahead', value: withStream({ startedAt: NOW + SKEW + 1 }), error: /startedAt/ },
    { name: 'startedAt in the year 5138', value: withStream({ startedAt: Date.UTC(5138, 0, 1) }), error: /startedAt/ },
    { name: 'startedAt one skew before boot', value: withStream({ startedAt: BOOT_MS - SKEW }), error: null },
    {
      name: 'startedAt before its Machine booted',
      value: withStream({ startedAt: BOOT_MS - SKEW - 1 }),
      error: /startedAt/,
    },
    { name: 'startedAt 1970', value: withStream({ startedAt: 1 }), error: /startedAt/ },
    { name: 'no epoch (a Machine from before moves)', value: withStream({ epoch: undefined }), error: null },
    {
      name: 'epoch at the bound',
      value: withStream({ id: MOVED_ID, epoch: STREAM_EPOCH_MAX, startedAt: MOVED_AT_MS }),
      error: null,
    },
    {
      name: 'epoch over the bound',
      value: withStream({ id: MOVED_ID, epoch: STREAM_EPOCH_MAX + 1, startedAt: MOVED_AT_MS }),
      error: /epoch/,
    },
    { name: 'negative epoch', value: withStream({ epoch: -1 }), error: /epoch/ },
    {
      name: 'moved in: started before this boot, one skew before its id was made',
      value: withStream({ id: MOVED_ID, epoch: 2, startedAt: MOVED_AT_MS - SKEW }),
      error: null,
    },
    {
      name: 'moved in: started before its id was made',
      value: withStream({ id: MOVED_ID, epoch: 2, startedAt: MOVED_AT_MS - SKEW - 1 }),
      error: /startedAt/,
    },
    {
      name: 'epoch 0 cannot start before this boot',
      value: withStream({ id: MOVED_ID, epoch: 0, startedAt: MOVED_AT_MS }),
      error: /startedAt/,
    },
    {
      name: 'duplicate stream id',
      value: { ...good, streams: [stream, { ...stream }] },
      error: /streams\[1\]\.id is a duplicate/,
    },
  ];
  for (const row of rows) {
    const result = parseSnapshot(row.value, rules);
    if (row.error === null) {
      assert.equal(result.ok, true, `${row.name}: ${result.ok ? '' : result.error}`);
    } else {
      assert.equal(result.ok, false, row.name);
      if (!result.ok) assert.match(result.error, row.error, row.name);
    }
  }
});

test('snapshotRules: the limits as of now', () => {
  assert.deepEqual(snapshotRules({ maxStreamsPerSnapshot: 50, maxViewersPerStream: 7, peerClockSkewMs: 5 }, 123), {
    nowMs: 123,
    maxStreams: 50,
    maxViewersPerStream: 7,
    clockSkewMs: 5,
  });
});

test('bootTimeMs: the time of a ULID, null for anything else', () => {
  assert.equal(bootTimeMs(bootAt(BOOT_MS)), BOOT_MS);
  assert.equal(bootTimeMs('zzzz'), null);
  assert.equal(bootTimeMs('Z'.repeat(26)), null);
  assert.equal(bootTimeMs(42), null);
});

test('parseSnapshot: relay load (connections, relayed streams, a stream home viewers) at its edges', () => {
  const maxConnections = 1000 * 3 * 2;
  const rows: { name: string; value: Record<string, unknown>; error: RegExp | null }[] = [
    { name: 'connections 0', value: { ...good, connections: 0 }, error: null },
    { name: `connections ${maxConnections}`, value: { ...good, connections: maxConnections }, error: null },
    { name: 'connections over', value: { ...good, connections: maxConnections + 1 }, error: /connections/ },
    { name: 'connections negative', value: { ...good, connections: -1 }, error: /connections/ },
    { name: 'relayed empty', value: { ...good, relayed: [] }, error: null },
    { name: 'relayed one', value: { ...good, relayed: [{ id: STREAM_ID, viewers: 1000 }] }, error: null },
    { name: 'relayed viewers over', value: { ...good, relayed: [{ id: STREAM_ID, viewers: 1001 }] }, error: /viewers/ },
    { name: 'relayed bad id', value: { ...good, relayed: [{ id: 'x', viewers: 1 }] }, error: /stream id/ },
    {
      name: 'relayed twice',
      value: {
        ...good,
        relayed: [
          { id: STREAM_ID, viewers: 1 },
          { id: STREAM_ID, viewers: 1 },
        ],
      },
      error: /listed once/,
    },
    { name: 'relayed not an array', value: { ...good, relayed: {} }, error: /relayed must be an array/ },
    {
      name: 'homeViewers up to viewers',
      value: { ...good, streams: [{ ...good.streams[0], homeViewers: 2 }] },
      error: null,
    },
    {
      name: 'homeViewers over viewers',
      value: { ...good, streams: [{ ...good.streams[0], homeViewers: 3 }] },
      error: /homeViewers/,
    },
  ];
  for (const { name, value, error } of rows) {
    const result = parseSnapshot(value, rules);
    if (error === null) assert.equal(result.ok, true, `${name}: ${result.ok ? '' : result.error}`);
    else assert.match(result.ok ? '' : result.error, error, name);
  }
  const parsed = parseSnapshot({ ...good, connections: 5, relayed: [{ id: STREAM_ID, viewers: 4, x: 1 }] }, rules);
  assert.deepEqual(parsed.ok && [parsed.snapshot.connections, parsed.snapshot.relayed], [
    5,
    [{ id: STREAM_ID, viewers: 4 }],
  ]);
});
