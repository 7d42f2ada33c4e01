import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode } from '../../../shared/protocol.ts';
import { type DropAction, publishDropAction, resumeOutcome, resumeRequest } from './resume-logic.ts';

const HOME = '24d0000000000b';

test('publishDropAction: a move or a lost connection on Fly resumes elsewhere; endings and off-Fly drops do not', () => {
  const rows: Array<[string, number, boolean, boolean, DropAction]> = [
    ['move, then 1001', CloseCode.goingAway, true, true, 'resume'],
    ['1001 without move (no other Machine can take it)', CloseCode.goingAway, false, true, 'machine-gone'],
    ['lost connection on Fly (a crash?)', 1006, false, true, 'resume'],
    ['lost connection off Fly', 1006, false, false, 'reconnect'],
    ['lost before any hello', 1006, false, false, 'reconnect'],
    ['ended', CloseCode.normal, true, true, 'ended'],
    ['stream gone during the upgrade', CloseCode.notFound, false, true, 'ended'],
    ['another tab took over', CloseCode.replaced, true, true, 'replaced'],
    ['frame too big', CloseCode.tooBig, false, true, 'too-big'],
  ];
  for (const [what, code, moveAsked, canResume, expected] of rows)
    assert.equal(publishDropAction(code, { moveAsked, canResume }), expected, what);
});

test('resumeRequest: the token and what the hello said of the stream', () => {
  const stream = {
    id: 'S',
    title: 'Run',
    creator: 'ann',
    startedAt: 1234,
    machineId: HOME,
    region: 'dfw',
    epoch: 2,
  };
  assert.deepEqual(resumeRequest('tok', stream, 9), {
    token: 'tok',
    title: 'Run',
    creator: 'ann',
    startedAt: 1234,
    epoch: 2,
    chatSeq: 9,
  });
});

test('resumeOutcome: publish where it was taken or where it lives, retry what may pass, fail the rest', () => {
  const rows: Array<[number | null, unknown, unknown]> = [
    [200, { id: 'S', machineId: HOME, region: 'ams', epoch: 1 }, { kind: 'publish', machineId: HOME, region: 'ams' }],
    [409, { error: 'live on', machineId: HOME, region: 'dfw' }, { kind: 'publish', machineId: HOME, region: 'dfw' }],
    [503, { error: 'Service Unavailable' }, { kind: 'retry' }],
    [502, null, { kind: 'retry' }],
    [429, { error: 'slow down' }, { kind: 'retry' }],
    [null, null, { kind: 'retry' }],
  ];
  for (const [status, body, expected] of rows) assert.deepEqual(resumeOutcome(status, body), expected, String(status));
  const failures: Array<[number, unknown, RegExp]> = [
    [401, { error: 'wrong publish token for this stream' }, /token/],
    [409, { error: 'the stream has moved 1000000 times' }, /moved 1000000 times/],
    [409, { error: 'x', machineId: 'not-a-machine' }, /could not move/],
    [200, { id: 'S', machineId: null }, /could not move/],
    [400, { error: 'body/startedAt must be' }, /startedAt/],
  ];
  for (const [status, body, message] of failures) {
    const outcome = resumeOutcome(status, body);
    assert.equal(outcome.kind, 'fail', String(status));
    if (outcome.kind === 'fail') assert.match(outcome.message, message);
  }
});
