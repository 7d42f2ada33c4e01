import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PublishTokens } from './tokens.ts';

const SECRET = 'a'.repeat(40);
const ID = '01J9ZZZZZZZZZZZZZZZZZZZZZZ';
const OTHER_ID = '01J9ZZZZZZZZZZZZZZZZZZZZZY';

test('a token from one Machine verifies on another holding the same STREAM_SECRET', () => {
  const home = PublishTokens.from(SECRET);
  const elsewhere = PublishTokens.from(SECRET);
  const token = home.issue(ID);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url: safe in a query string');
  assert.equal(elsewhere.matches(ID, token), true);
  assert.equal(home.shared, true);
});

test('a token does not verify for another stream, under another secret, or without a shared secret', () => {
  const tokens = PublishTokens.from(SECRET);
  const token = tokens.issue(ID);
  assert.equal(tokens.matches(OTHER_ID, token), false, "another stream's id");
  assert.equal(PublishTokens.from('b'.repeat(40)).matches(ID, token), false, 'another secret');
  const perProcess = PublishTokens.from(null);
  assert.equal(perProcess.shared, false);
  assert.equal(perProcess.matches(ID, token), false, 'a per-process key');
  assert.equal(perProcess.matches(ID, perProcess.issue(ID)), true, 'its own tokens still verify');
  assert.notEqual(PublishTokens.from(null).issue(ID), perProcess.issue(ID), 'each process has its own key');
});

test('presented tokens: near misses and malformed values are refused', () => {
  const tokens = PublishTokens.from(SECRET);
  const token = tokens.issue(ID);
  const cases: Array<[string, unknown, boolean]> = [
    ['the token', token, true],
    ['one character more', `${token}x`, false],
    ['one character less', token.slice(0, -1), false],
    ['empty', '', false],
    ['missing', undefined, false],
    ['a number', 42, false],
    ['an array', [token], false],
  ];
  for (const [what, presented, expected] of cases) assert.equal(tokens.matches(ID, presented), expected, what);
});
