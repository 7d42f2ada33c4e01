import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AuthQuestion, type AuthVerdict, authVerdict, PeerAuthorizer, sameSecret } from './peer-auth.ts';

test('sameSecret: equal strings only', () => {
  const rows: [string, string, boolean][] = [
    ['Bearer abc', 'Bearer abc', true],
    ['Bearer abd', 'Bearer abc', false],
    ['Bearer ab', 'Bearer abc', false],
    ['Bearer abcd', 'Bearer abc', false],
    ['', '', true],
    ['', 'Bearer abc', false],
  ];
  for (const [given, expected, same] of rows)
    assert.equal(sameSecret(given, expected), same, `${given} vs ${expected}`);
});

test('authVerdict: token, then known address, then one more lookup at most once per interval', () => {
  const base: AuthQuestion = {
    token: null,
    authorization: undefined,
    callerKnown: false,
    sinceLookupMs: 0,
    refreshMinIntervalMs: 1000,
  };
  const rows: [string, Partial<AuthQuestion>, AuthVerdict][] = [
    ['known address, no token set', { callerKnown: true }, 'allow'],
    ['unknown address, looked up just now', {}, 'deny'],
    ['unknown address, 1 ms before the interval', { sinceLookupMs: 999 }, 'deny'],
    ['unknown address, exactly the interval since the lookup', { sinceLookupMs: 1000 }, 'look-again'],
    ['unknown address, never looked up', { sinceLookupMs: Infinity }, 'look-again'],
    ['right token from an unknown address', { token: 's3cret', authorization: 'Bearer s3cret' }, 'allow'],
    ['wrong token from an unknown address', { token: 's3cret', authorization: 'Bearer s3cres' }, 'deny'],
    ['token without the Bearer scheme', { token: 's3cret', authorization: 's3cret' }, 'deny'],
    ['wrong token from a known address', { token: 's3cret', authorization: 'Bearer nope', callerKnown: true }, 'allow'],
    ['no token set: any header counts for nothing', { authorization: 'Bearer null' }, 'deny'],
    ['token set, header missing, due a lookup', { token: 's3cret', sinceLookupMs: 5000 }, 'look-again'],
  ];
  for (const [name, patch, want] of rows) assert.equal(authVerdict({ ...base, ...patch }), want, name);
});

function authorizer(answers: string[][], token: string | null = null) {
  let nowMs = 10_000;
  let lookups = 0;
  let release: (() => void) | null = null;
  let hold = false;
  const auth = new PeerAuthorizer({
    token,
    lookup: async () => {
      const answer = answers[Math.min(lookups, answers.length - 1)]!;
      lookups++;
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (answer.length === 1 && answer[0] === 'FAIL') throw new Error('SERVFAIL');
      return answer;
    },
    refreshMinIntervalMs: 1000,
    now: () => nowMs,
  });
  return {
    auth,
    lookups: () => lookups,
    advance: (ms: number) => (nowMs += ms),
    holdLookups: () => (hold = true),
    release: () => release?.(),
  };
}

test('PeerAuthorizer: a caller in a newer answer is let in, addresses compared normalised', async () => {
  const a = authorizer([['::ffff:127.0.0.2'], ['::ffff:127.0.0.2', '::ffff:127.0.0.3']]);
  await a.auth.refresh();
  assert.equal(await a.auth.authorize('127.0.0.2', undefined), true);
  assert.equal(a.lookups(), 1, 'a known caller costs no lookup');
  // 127.0.0.3 is newer than the last lookup, but the last one is too recent to ask again.
  assert.equal(await a.auth.authorize('127.0.0.3', undefined), false);
  assert.equal(a.lookups(), 1);
  a.advance(1000);
  assert.equal(await a.auth.authorize('::ffff:127.0.0.3', undefined), true);
  assert.equal(a.lookups(), 2);
});

test('PeerAuthorizer: the bearer token lets any address in without a lookup', async () => {
  const a = authorizer([[]], 'tok');
  assert.equal(await a.auth.authorize('10.0.0.9', 'Bearer tok'), true);
  assert.equal(a.lookups(), 0);
  assert.equal(await a.auth.authorize('10.0.0.9', 'Bearer tak'), false);
  assert.equal(a.lookups(), 1, 'a wrong token is treated as none: the address is looked up');
});

test('PeerAuthorizer: a failed lookup keeps the old addresses and refuses the unknown caller', async () => {
  const a = authorizer([['127.0.0.2'], ['FAIL']]);
  await a.auth.refresh();
  a.advance(1000);
  await assert.rejects(a.auth.refresh(), /SERVFAIL/);
  assert.equal(await a.auth.authorize('127.0.0.2', undefined), true);
  a.advance(1000);
  assert.equal(await a.auth.authorize('127.0.0.4', undefined), false);
  assert.equal(a.lookups(), 3);
});

test('PeerAuthorizer: concurrent callers share one lookup', async () => {
  const a = authorizer([['127.0.0.2']]);
  a.holdLookups();
  const first = a.auth.authorize('127.0.0.2', undefined);
  const second = a.auth.authorize('127.0.0.5', undefined);
  const round = a.auth.refresh();
  a.release();
  assert.deepEqual(await Promise.all([first, second]), [true, false]);
  await round;
  assert.equal(a.lookups(), 1);
});
