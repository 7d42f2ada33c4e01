import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FetchAnswer, nextRoundDelayMs, readFetchAnswer, unreachableLog } from './discovery-rules.ts';
import type { PeerResponse } from './peer-client.ts';
import type { Snapshot, SnapshotRules } from './snapshot.ts';

const timing = { intervalMs: 5000, jitterRatio: 0.1, backoffBaseMs: 500, backoffMaxMs: 30_000 };

test('nextRoundDelayMs: jittered interval less the round time; backoff after failed lookups', () => {
  // [name, consecutive DNS failures, elapsed ms, random draw, delay]
  const rows: [string, number, number, number, number][] = [
    ['healthy, instant round, middle draw', 0, 0, 0.5, 5000],
    ['healthy, lowest draw: interval less 10 %', 0, 0, 0, 4500],
    ['healthy, highest draw: interval plus 10 %', 0, 0, 1, 5500],
    ['healthy, the round took 1.2 s', 0, 1200, 0.5, 3800],
    ['healthy, the round took longer than the interval', 0, 9000, 0.5, 0],
    ['first failure: base, half of it jittered', 1, 0, 0, 250],
    ['first failure, highest draw', 1, 0, 1, 500],
    ['third failure: ceiling doubled twice', 3, 0, 1, 2000],
    ['third failure: round time is not subtracted', 3, 1500, 1, 2000],
    ['many failures: capped at max', 20, 0, 1, 30_000],
  ];
  for (const [name, failures, elapsedMs, random, want] of rows) {
    assert.equal(nextRoundDelayMs(failures, elapsedMs, timing, random), want, name);
  }
});

const P = 'bbbbbbbbbbbbbb';
const Q = 'cccccccccccccc';
const snapshot = (machineId: string): Snapshot => ({
  machineId,
  region: 'ams',
  bootId: '01J0000000000000000000000A',
  version: 3,
  streams: [],
});
const res = (status: number, body = ''): PeerResponse => ({
  status,
  etag: undefined,
  contentType: undefined,
  body,
  bytes: Buffer.from(body),
});
const rules: SnapshotRules = {
  nowMs: Date.UTC(2025, 0, 1),
  maxStreams: 50,
  maxViewersPerStream: 1000,
  clockSkewMs: 60_000,
};

test('readFetchAnswer: what a peer answer means', () => {
  const rows: [string, PeerResponse, boolean, FetchAnswer][] = [
    ['304 to a conditional fetch', res(304), true, { kind: 'not-modified' }],
    ['304 although nothing was held', res(304), false, { kind: 'failed', error: 'snapshot fetch answered 304: ' }],
    [
      '200 with the snapshot of the Machine asked',
      res(200, JSON.stringify(snapshot(P))),
      false,
      {
        kind: 'snapshot',
        snapshot: snapshot(P),
      },
    ],
    [
      '200 from a Machine that was not asked',
      res(200, JSON.stringify(snapshot(Q))),
      true,
      {
        kind: 'failed',
        error: `address answered as ${Q}`,
      },
    ],
    [
      '403 with its reason, cut at 200 chars',
      res(403, `{"error":"${'x'.repeat(300)}"}`),
      true,
      {
        kind: 'failed',
        error: `snapshot fetch answered 403: {"error":"${'x'.repeat(190)}`,
      },
    ],
    ['500', res(500, 'boom'), false, { kind: 'failed', error: 'snapshot fetch answered 500: boom' }],
  ];
  for (const [name, answer, held, want] of rows) assert.deepEqual(readFetchAnswer(answer, held, P, rules), want, name);
});

test('readFetchAnswer: a 200 that is not a snapshot fails with the reason', () => {
  const notJson = readFetchAnswer(res(200, '{"machineId":'), false, P, rules);
  assert.equal(notJson.kind, 'failed');
  assert.match((notJson as { error: string }).error, /JSON/);
  const invalid = readFetchAnswer(res(200, JSON.stringify({ ...snapshot(P), version: -1 })), false, P, rules);
  assert.equal(invalid.kind, 'failed');
  assert.match((invalid as { error: string }).error, /^bad snapshot: .*version/);
  const forged = readFetchAnswer(res(200, JSON.stringify({ ...snapshot(P), bootId: 'zzzz' })), false, P, rules);
  assert.match((forged as { error: string }).error, /^bad snapshot: bootId must be a ULID/);
});

test('unreachableLog: a peer never reached is only news, one that was reached is a warning', () => {
  assert.deepEqual(unreachableLog(true), { level: 'info', message: 'directory: peer not reachable yet' });
  assert.deepEqual(unreachableLog(false), { level: 'warn', message: 'directory: cannot fetch a peer snapshot' });
});
