import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import type { HolderAnswer } from './holder.ts';
import { afterAsking, type Listing, nextEpoch, type ResumeFacts, resumeStep, supersededBy } from './rules.ts';

const SELF = 'aaaaaaaaaaaaaa';
const OLD = 'bbbbbbbbbbbbbb';
const self = { machineId: SELF, region: 'dfw' };
const elsewhere: Listing = { machineId: OLD, region: 'ams', epoch: 3 };

test('nextEpoch: one past the newest claim seen, none past STREAM_EPOCH_MAX', () => {
  const rows: Array<[number, number | undefined, number | null]> = [
    [0, undefined, 1],
    [2, undefined, 3],
    [2, 5, 6],
    [5, 2, 6],
    [STREAM_EPOCH_MAX - 1, undefined, STREAM_EPOCH_MAX],
    [STREAM_EPOCH_MAX, undefined, null],
    [0, STREAM_EPOCH_MAX, null],
  ];
  for (const [seen, listed, expected] of rows) assert.equal(nextEpoch(seen, listed), expected, `${seen}, ${listed}`);
});

test('resumeStep: wrong token 401, held here 409 naming this Machine, listed elsewhere ask it, else take it', () => {
  const base: ResumeFacts = { tokenOk: true, heldHere: null, self, listing: undefined, epoch: 1 };
  const rows: Array<[string, Partial<ResumeFacts>, unknown]> = [
    ['wrong token', { tokenOk: false }, { kind: 'refuse', status: 401 }],
    ['wrong token, even when held here', { tokenOk: false, heldHere: 'live' }, { kind: 'refuse', status: 401 }],
    ['held here (another resume won)', { heldHere: 'live' }, { kind: 'refuse', status: 409, home: self }],
    ['listed elsewhere', { listing: elsewhere }, { kind: 'ask', listing: elsewhere }],
    ['listed nowhere: taken at the next epoch', {}, { kind: 'take', epoch: 2 }],
    ['listed here but not held', { listing: { ...self, epoch: 4 } }, { kind: 'take', epoch: 5 }],
    ['at the last epoch', { epoch: STREAM_EPOCH_MAX }, { kind: 'refuse', status: 409 }],
  ];
  for (const [what, patch, expected] of rows) {
    const step = resumeStep({ ...base, ...patch });
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected as object).map((k) => [k, (step as Record<string, unknown>)[k]])),
      expected,
      what,
    );
  }
  const refused = resumeStep({ ...base, heldHere: 'live' });
  assert.ok(refused.kind === 'refuse' && refused.error.includes(SELF), 'the 409 names the home');
});

test('afterAsking: still live on the listed Machine is 409 naming it; going away, gone or silent means take it', () => {
  const rows: Array<[HolderAnswer, unknown]> = [
    ['live', { kind: 'refuse', status: 409 }],
    ['moving', { kind: 'take', epoch: 4 }],
    ['not-held', { kind: 'take', epoch: 4 }],
    ['unreachable', { kind: 'take', epoch: 4 }],
  ];
  for (const [answer, expected] of rows) {
    const step = afterAsking(answer, elsewhere, 1);
    assert.equal(step.kind, (expected as { kind: string }).kind, answer);
    if (step.kind === 'take') assert.equal(step.epoch, 4, answer);
    if (step.kind === 'refuse') {
      assert.equal(step.status, 409);
      assert.deepEqual(step.home, { machineId: OLD, region: 'ams' });
      assert.match(step.error, new RegExp(`${OLD} \\(ams\\)`));
    }
  }
  assert.equal(afterAsking('moving', { ...elsewhere, epoch: STREAM_EPOCH_MAX }, 0).kind, 'refuse');
});

test('supersededBy: the local streams a peer claims with a higher epoch, a later start, or a lower Machine id', () => {
  const local = [
    { id: 's1', epoch: 0, startedAt: 100 },
    { id: 's2', epoch: 2, startedAt: 100 },
    { id: 's3', epoch: 1, startedAt: 100 },
  ];
  const peer = (machineId: string, streams: Array<{ id: string; epoch: number; startedAt: number }>) => ({
    machineId,
    region: 'ams',
    streams,
  });
  const rows: Array<[string, ReturnType<typeof peer>, string[]]> = [
    ['a higher epoch', peer(OLD, [{ id: 's1', epoch: 1, startedAt: 100 }]), ['s1']],
    ['a lower epoch', peer(OLD, [{ id: 's2', epoch: 1, startedAt: 100 }]), []],
    ['a stream not held here', peer(OLD, [{ id: 'other', epoch: 9, startedAt: 100 }]), []],
    ['same epoch, later start', peer(OLD, [{ id: 's3', epoch: 1, startedAt: 200 }]), ['s3']],
    ['same epoch and start, a higher Machine id', peer(OLD, [{ id: 's3', epoch: 1, startedAt: 100 }]), []],
    [
      'same epoch and start, a lower Machine id',
      peer('00000000000000', [{ id: 's3', epoch: 1, startedAt: 100 }]),
      ['s3'],
    ],
    ['its own snapshot', peer(SELF, [{ id: 's1', epoch: 5, startedAt: 100 }]), []],
  ];
  for (const [what, snapshot, expected] of rows) assert.deepEqual(supersededBy(local, SELF, snapshot), expected, what);
  assert.deepEqual(supersededBy([], SELF, peer(OLD, [{ id: 's1', epoch: 5, startedAt: 1 }])), [], 'nothing held');
});
