import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MachineRecord } from './state.ts';
import { type DirectoryCounters, isStale, newDirectoryCounters, peerStats } from './stats.ts';

test('isStale: only when discovery is on and has not succeeded, or its last lookup failed', () => {
  const fresh = { ...newDirectoryCounters(), lastDiscoveryOkMs: 1000 };
  const rows: [string, boolean, Partial<DirectoryCounters>, boolean][] = [
    ['off Fly, never discovered', false, {}, false],
    ['off Fly, failing', false, { consecutiveDnsFailures: 2 }, false],
    ['before the first good round', true, { lastDiscoveryOkMs: null }, true],
    ['after a good round', true, {}, false],
    ['last lookup failed', true, { consecutiveDnsFailures: 1 }, true],
    ['failures long ago do not count', true, { dnsFailures: 7 }, false],
  ];
  for (const [name, enabled, patch, stale] of rows) assert.equal(isStale(enabled, { ...fresh, ...patch }), stale, name);
});

test('peerStats: what stats() reports per peer', () => {
  const rec: MachineRecord = {
    id: 'bbbbbbbbbbbbbb',
    region: 'dfw',
    listed: true,
    snapshot: null,
    newest: null,
    lastSeenMs: null,
    pushedAtMs: null,
    failures: 2,
    forgottenAtMs: null,
  };
  assert.deepEqual(peerStats(rec), {
    id: 'bbbbbbbbbbbbbb',
    region: 'dfw',
    listed: true,
    shown: false,
    failures: 2,
    lastSeenMs: null,
    streams: 0,
  });
  const shown = {
    ...rec,
    listed: false,
    lastSeenMs: 500,
    snapshot: {
      machineId: rec.id,
      region: 'dfw',
      bootId: 'B',
      version: 1,
      streams: [
        { id: 's1', title: 't', creator: 'c', viewers: 0, startedAt: 1, epoch: 0 },
        { id: 's2', title: 't', creator: 'c', viewers: 0, startedAt: 2, epoch: 0 },
      ],
    },
  };
  assert.deepEqual(peerStats(shown), {
    id: rec.id,
    region: 'dfw',
    listed: false,
    shown: true,
    failures: 2,
    lastSeenMs: 500,
    streams: 2,
  });
});
