import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ackDue,
  classifyClose,
  followMoved,
  KeyframeGate,
  latencyMs,
  nextStep,
  pendingRetryState,
  recheckHome,
  type StepContext,
  UNREACHABLE_AFTER_MS,
  type WatchState,
} from './watch-logic.ts';

const HOME = '24d0000000000b';
const NEW_HOME = '24a0000000000a';
const policy = { baseMs: 500, maxMs: 10_000 };
const ctx: StepContext = { home: HOME, attempt: 0, everConnected: true, lastOpened: true, maxAttempts: 5 };

test('classifyClose: ended message, 1000 and 4004 end it; 4010 means reload; everything else asks the directory', () => {
  const table: Array<[number, boolean, string]> = [
    [4010, false, 'outdated'],
    [1000, false, 'ended'],
    [4004, false, 'ended'],
    [1006, true, 'ended'],
    [1001, false, 'ask-directory'],
    [1006, false, 'ask-directory'],
    [4008, false, 'ask-directory'],
    [1011, false, 'ask-directory'],
  ];
  for (const [code, endedMessage, expected] of table)
    assert.equal(classifyClose({ code, endedMessage }), expected, `${code} ${endedMessage}`);
});

test('nextStep: the directory no longer lists the stream', () => {
  assert.deepEqual(nextStep({ kind: 'gone' }, ctx, policy), { action: 'ended', state: 'ended' });
  assert.deepEqual(nextStep({ kind: 'gone' }, { ...ctx, everConnected: false }, policy), {
    action: 'ended',
    state: 'not-found',
  });
});

test('nextStep: the stream moved to another Machine: follow it at once; repeated hops back off and stay bounded', () => {
  assert.deepEqual(nextStep({ kind: 'found', machineId: NEW_HOME, region: 'ams' }, ctx, policy), {
    action: 'connect',
    home: NEW_HOME,
    delayMs: 0,
    state: 'connecting',
    moved: true,
    region: 'ams',
  });
  assert.deepEqual(
    nextStep({ kind: 'found', machineId: NEW_HOME, region: 'ams' }, { ...ctx, attempt: 3 }, policy, () => 1),
    {
      action: 'connect',
      home: NEW_HOME,
      delayMs: 4000,
      state: 'connecting',
      moved: true,
      region: 'ams',
    },
  );
  assert.deepEqual(nextStep({ kind: 'found', machineId: NEW_HOME, region: 'ams' }, { ...ctx, attempt: 5 }, policy), {
    action: 'ended',
    state: 'ended',
  });
});

test('nextStep: same home, the socket had opened: reconnecting with backoff', () => {
  const step = nextStep({ kind: 'found', machineId: HOME, region: 'dfw' }, { ...ctx, attempt: 2 }, policy, () => 0);
  assert.deepEqual(step, { action: 'connect', home: HOME, delayMs: 1000, state: 'reconnecting', moved: false });
});

test('nextStep: the socket never opened, or the directory is unreachable: offline, still retrying', () => {
  const refused = nextStep(
    { kind: 'found', machineId: HOME, region: 'dfw' },
    { ...ctx, lastOpened: false },
    policy,
    () => 1,
  );
  assert.deepEqual(refused, { action: 'connect', home: HOME, delayMs: 500, state: 'offline', moved: false });
  const unreachable = nextStep({ kind: 'unreachable' }, ctx, policy, () => 1);
  assert.equal(unreachable.action === 'connect' && unreachable.state, 'offline');
});

test('nextStep: gives up after maxAttempts', () => {
  assert.deepEqual(nextStep({ kind: 'unreachable' }, { ...ctx, attempt: 5 }, policy), {
    action: 'ended',
    state: 'ended',
  });
  assert.equal(nextStep({ kind: 'unreachable' }, { ...ctx, attempt: 4 }, policy).action, 'connect');
});

test('nextStep: a directory name that is no Machine id (off Fly: "local", or empty) is not a move', () => {
  for (const machineId of ['', 'local']) {
    const step = nextStep({ kind: 'found', machineId, region: 'local' }, { ...ctx, home: null }, policy, () => 1);
    assert.deepEqual(
      step,
      { action: 'connect', home: null, delayMs: 500, state: 'reconnecting', moved: false },
      machineId,
    );
  }
});

test('KeyframeGate skips delta frames until a keyframe, then passes all; reset waits again', () => {
  const gate = new KeyframeGate();
  assert.deepEqual(
    [false, false, true, false, true, false].map((k) => gate.accept(k)),
    [false, false, true, true, true, true],
  );
  assert.equal(gate.skipped, 2);
  gate.reset();
  assert.equal(gate.isWaiting, true);
  assert.deepEqual(
    [false, true, false].map((k) => gate.accept(k)),
    [false, true, true],
  );
  assert.equal(gate.skipped, 3);
});

test('latencyMs: wall-clock delay, null when the clocks obviously disagree', () => {
  assert.equal(latencyMs(1_000_000_000, 1_000_150), 150);
  assert.equal(latencyMs(2_000_000_000, 1_000_000), null, 'timestamp in the future');
  assert.equal(latencyMs(0, 1_000_000), null, 'not wall-clock');
  assert.equal(latencyMs(1_000_000_000, 1_060_000), 60_000);
  assert.equal(latencyMs(1_000_000_000, 1_060_001), null);
});

test('ackDue: the first frame, every 400 ms of media time, and after the clock went backwards', () => {
  assert.equal(ackDue(null, 5), true);
  assert.equal(ackDue(1_000_000, 1_399_999), false);
  assert.equal(ackDue(1_000_000, 1_400_000), true);
  assert.equal(ackDue(1_000_000, 999_999), true);
  assert.equal(ackDue(1_000_000, 1_000_000), false);
  // 30 fps for 2 s: 5 acks (0, 400, 800, 1200, 1600 ms... within 33 ms each)
  let last: number | null = null;
  let acks = 0;
  for (let i = 0; i < 60; i++) {
    const ts = Math.round((i * 1_000_000) / 30);
    if (ackDue(last, ts)) {
      last = ts;
      acks++;
    }
  }
  assert.equal(acks, 5);
});

test('followMoved: after a moved message, follow the named Machine at once; endings and bad hints take the usual path', () => {
  const hint = { machineId: NEW_HOME, region: 'dfw' };
  assert.deepEqual(followMoved(hint, { code: 1001, endedMessage: false }, HOME), {
    action: 'connect',
    home: NEW_HOME,
    delayMs: 0,
    state: 'connecting',
    moved: true,
    region: 'dfw',
  });
  assert.equal(followMoved(null, { code: 1001, endedMessage: false }, HOME), null, 'no hint');
  assert.equal(followMoved(hint, { code: 1000, endedMessage: false }, HOME), null, 'the stream ended');
  assert.equal(followMoved(hint, { code: 1001, endedMessage: true }, HOME), null, 'an ended message came');
  assert.equal(
    followMoved({ ...hint, machineId: 'nope' }, { code: 1001, endedMessage: false }, HOME),
    null,
    'not a Machine id',
  );
  assert.equal(
    followMoved({ ...hint, machineId: HOME }, { code: 1001, endedMessage: false }, HOME),
    null,
    'the same home',
  );
});

test('recheckHome: another home listed just before a retry is followed; anything else keeps the retry', () => {
  assert.deepEqual(recheckHome({ kind: 'found', machineId: NEW_HOME, region: 'ams' }, HOME), {
    home: NEW_HOME,
    movedTo: 'ams',
  });
  assert.deepEqual(recheckHome({ kind: 'found', machineId: HOME, region: 'dfw' }, HOME), { home: HOME });
  assert.deepEqual(recheckHome({ kind: 'gone' }, HOME), { home: HOME }, 'gone for a moment while it moves');
  assert.deepEqual(recheckHome({ kind: 'unreachable' }, HOME), { home: HOME });
  assert.deepEqual(recheckHome({ kind: 'found', machineId: 'local', region: 'x' }, null), { home: null });
});

test('pendingRetryState: a retry to the same home pending past UNREACHABLE_AFTER_MS shows offline; nothing else changes', () => {
  const rows: Array<[WatchState, number, WatchState]> = [
    ['reconnecting', 0, 'reconnecting'],
    ['reconnecting', UNREACHABLE_AFTER_MS - 1, 'reconnecting'],
    ['reconnecting', UNREACHABLE_AFTER_MS, 'offline'],
    ['reconnecting', 60_000, 'offline'],
    ['offline', UNREACHABLE_AFTER_MS, 'offline'],
    ['connecting', UNREACHABLE_AFTER_MS, 'connecting'],
    ['live', UNREACHABLE_AFTER_MS, 'live'],
    ['ended', UNREACHABLE_AFTER_MS, 'ended'],
  ];
  for (const [current, waited, expected] of rows)
    assert.equal(pendingRetryState(current, waited), expected, `${current} after ${waited} ms`);
});
