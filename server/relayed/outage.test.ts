import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../test/support/fake-clock.ts';
import type { RelayStatus } from '../relay/readiness.ts';
import { RelayOutage } from './outage.ts';

const DOWN_MS = 3000;

function setup(size: number) {
  const clock = new FakeClock();
  const calls: string[] = [];
  const relays = {
    size,
    suspendAll: () => calls.push('suspend'),
    rejoinAll: () => calls.push('rejoin'),
    closeAll: (reason: string) => calls.push(`close: ${reason}`),
  };
  return { clock, calls, outage: new RelayOutage(relays, DOWN_MS, clock) };
}

// Each row: relayed streams held, then readiness changes with the time spent after each; what the relays were told.
const rows: Array<{ name: string; size: number; steps: Array<[RelayStatus, number]>; want: string[] }> = [
  { name: 'ready at start: one join round, nothing else', size: 1, steps: [['ok', 10_000]], want: ['rejoin'] },
  {
    name: 'a cut shorter than the limit: the streams rejoin, nobody is closed',
    size: 2,
    steps: [
      ['ok', 0],
      ['down', DOWN_MS - 1],
      ['ok', 10_000],
    ],
    want: ['rejoin', 'suspend', 'rejoin'],
  },
  {
    name: 'down for the whole limit: the viewers are sent back once',
    size: 1,
    steps: [
      ['ok', 0],
      ['down', DOWN_MS],
      ['ok', 0],
    ],
    want: ['rejoin', 'suspend', 'close: this relay lost NATS', 'rejoin'],
  },
  {
    name: 'down then off (still not ready): the limit runs from the first loss',
    size: 1,
    steps: [
      ['ok', 0],
      ['down', DOWN_MS / 2],
      ['off', DOWN_MS / 2],
    ],
    want: ['rejoin', 'suspend', 'close: this relay lost NATS'],
  },
  {
    name: 'nothing relayed when NATS goes: nothing to close',
    size: 0,
    steps: [
      ['ok', 0],
      ['down', DOWN_MS * 10],
    ],
    want: ['rejoin'],
  },
];

for (const row of rows) {
  test(`relay outage: ${row.name}`, () => {
    const { clock, calls, outage } = setup(row.size);
    for (const [status, ms] of row.steps) {
      outage.status(status);
      clock.advance(ms);
    }
    assert.deepEqual(calls, row.want);
  });
}

test('relay outage: cancel() (the app closing) drops a pending give-up', () => {
  const { clock, calls, outage } = setup(1);
  outage.status('ok');
  outage.status('down');
  outage.cancel();
  clock.advance(DOWN_MS * 2);
  assert.deepEqual(calls, ['rejoin', 'suspend']);
  assert.equal(clock.pendingTimers, 0);
});
