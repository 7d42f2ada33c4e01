import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import { type Claim, compareClaims, parseEpoch, startedAtProblem } from './claims.ts';

const A = 'aaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbb';

test('of two claims on one stream, the higher epoch wins, then the later start, then the lower Machine id', () => {
  const claim = (machineId: string, epoch: number, startedAt: number): Claim => ({ machineId, epoch, startedAt });
  const cases: Array<[string, Claim, Claim]> = [
    ['the new home after a move', claim(B, 1, 1000), claim(A, 0, 1000)],
    ['a higher epoch beats a later start', claim(A, 2, 1000), claim(B, 1, 5000)],
    ['same epoch: the later start', claim(B, 1, 2000), claim(A, 1, 1000)],
    ['same epoch and start: the lower Machine id', claim(A, 1, 1000), claim(B, 1, 1000)],
  ];
  for (const [what, winner, loser] of cases) {
    assert.ok(compareClaims(winner, loser) > 0, what);
    assert.ok(compareClaims(loser, winner) < 0, `${what} (reversed)`);
  }
  assert.equal(compareClaims(claim(A, 1, 1000), claim(A, 1, 1000)), 0, 'the same claim');
});

test('epochs: absent is 0, a whole number up to STREAM_EPOCH_MAX, anything else refused', () => {
  const cases: Array<[unknown, number | 'refused']> = [
    [undefined, 0],
    [0, 0],
    [7, 7],
    [STREAM_EPOCH_MAX, STREAM_EPOCH_MAX],
    [STREAM_EPOCH_MAX + 1, 'refused'],
    [-1, 'refused'],
    [0.5, 'refused'],
    ['1', 'refused'],
    [null, 'refused'],
  ];
  for (const [value, expected] of cases) {
    const parsed = parseEpoch(value);
    assert.equal(typeof parsed === 'string' ? 'refused' : parsed, expected, String(value));
  }
});

test('a start is bounded below by the boot for epoch 0, by the stream id for a moved stream, each give or take the skew', () => {
  const rules = { bootMs: 50_000, idMs: 10_000, nowMs: 100_000, clockSkewMs: 1000 };
  const cases: Array<[string, number, unknown, boolean]> = [
    ['epoch 0 at boot minus the skew', 0, 49_000, true],
    ['epoch 0 just before that', 0, 48_999, false],
    ['epoch 0 before boot but after the id (a stream from another boot)', 0, 20_000, false],
    ['moved at the id time minus the skew', 1, 9000, true],
    ['moved, just before that', 1, 8999, false],
    ['moved, before this Machine booted', 3, 20_000, true],
    ['now plus the skew', 1, 101_000, true],
    ['just after that', 1, 101_001, false],
    ['not a whole number', 1, 20_000.5, false],
    ['a string', 1, '20000', false],
  ];
  for (const [what, epoch, startedAt, fine] of cases)
    assert.equal(startedAtProblem(epoch, startedAt, rules) === null, fine, what);
});
