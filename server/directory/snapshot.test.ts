import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SNAPSHOT_TEXT_CHARS } from './limits.ts';
import { compareOrder, isNewer, parseSnapshot, snapshotEtag } from './snapshot.ts';

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

const good = {
  machineId: '286533db064e58',
  region: 'ams',
  bootId: BOOT_1,
  version: 3,
  streams: [{ id: 's1', title: 'Hello', creator: 'ann', viewers: 2, startedAt: 1_700_000_000_000 }],
};

test('parseSnapshot accepts a good snapshot and copies only known fields', () => {
  const result = parseSnapshot({ ...good, extra: 1, streams: [{ ...good.streams[0], secret: 'x' }] });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.deepEqual(result.snapshot, good);
  assert.equal('secret' in result.snapshot.streams[0]!, false);
});

test('parseSnapshot keeps relay readiness when given, and leaves it out when absent', () => {
  const withRelay = parseSnapshot({ ...good, relay: 'down' });
  assert.equal(withRelay.ok && withRelay.snapshot.relay, 'down');
  const without = parseSnapshot(good);
  assert.equal(without.ok && 'relay' in without.snapshot, false);
});

test('parseSnapshot rejects malformed snapshots with a reason', () => {
  const long = 'x'.repeat(MAX_SNAPSHOT_TEXT_CHARS + 1);
  const edge = 'x'.repeat(MAX_SNAPSHOT_TEXT_CHARS);
  const stream = good.streams[0]!;
  const rows: { name: string; value: unknown; error: RegExp | null }[] = [
    { name: 'not an object', value: [], error: /JSON object/ },
    { name: 'null', value: null, error: /JSON object/ },
    { name: 'bad machine id', value: { ...good, machineId: 'd8913edc' }, error: /machineId/ },
    { name: 'bad region', value: { ...good, region: 'AMS' }, error: /region/ },
    { name: 'empty region is allowed', value: { ...good, region: '' }, error: null },
    { name: 'bad bootId', value: { ...good, bootId: 'a b' }, error: /bootId/ },
    { name: 'negative version', value: { ...good, version: -1 }, error: /version/ },
    { name: 'fractional version', value: { ...good, version: 1.5 }, error: /version/ },
    { name: 'streams not array', value: { ...good, streams: {} }, error: /streams must be an array/ },
    { name: 'stream not object', value: { ...good, streams: ['x'] }, error: /streams\[0\] must be an object/ },
    { name: 'empty id', value: { ...good, streams: [{ ...stream, id: '' }] }, error: /streams\[0\]\.id/ },
    { name: 'title too long', value: { ...good, streams: [{ ...stream, title: long }] }, error: /title/ },
    { name: 'title at the limit', value: { ...good, streams: [{ ...stream, title: edge }] }, error: null },
    { name: 'creator not string', value: { ...good, streams: [{ ...stream, creator: 5 }] }, error: /creator/ },
    { name: 'negative viewers', value: { ...good, streams: [{ ...stream, viewers: -1 }] }, error: /viewers/ },
    { name: 'startedAt NaN', value: { ...good, streams: [{ ...stream, startedAt: 'now' }] }, error: /startedAt/ },
    { name: 'relay readiness ok', value: { ...good, relay: 'ok' }, error: null },
    { name: 'relay readiness off', value: { ...good, relay: 'off' }, error: null },
    { name: 'relay readiness unknown', value: { ...good, relay: 'maybe' }, error: /relay must be ok, down or off/ },
    { name: 'relay readiness not a string', value: { ...good, relay: 1 }, error: /relay/ },
    {
      name: 'duplicate stream id',
      value: { ...good, streams: [stream, { ...stream }] },
      error: /streams\[1\]\.id is a duplicate/,
    },
  ];
  for (const row of rows) {
    const result = parseSnapshot(row.value);
    if (row.error === null) {
      assert.equal(result.ok, true, row.name);
    } else {
      assert.equal(result.ok, false, row.name);
      if (!result.ok) assert.match(result.error, row.error, row.name);
    }
  }
});
