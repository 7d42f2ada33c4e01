import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SenderCheck, type SenderQuestion, type SenderVerdict, senderVerdict } from './sender-check.ts';

test('senderVerdict: a held answer naming the caller, else one more lookup at most once per interval', () => {
  const base: SenderQuestion = { callerInAnswer: false, sinceLookupMs: 0, refreshMinIntervalMs: 1000 };
  const rows: [string, Partial<SenderQuestion>, SenderVerdict][] = [
    ['caller in the held answer', { callerInAnswer: true }, 'match'],
    ['caller in an old answer still matches', { callerInAnswer: true, sinceLookupMs: 1e9 }, 'match'],
    ['not in an answer looked up just now', {}, 'mismatch'],
    ['not in it, 1 ms before the interval', { sinceLookupMs: 999 }, 'mismatch'],
    ['not in it, exactly the interval since', { sinceLookupMs: 1000 }, 'look-again'],
    ['never looked up', { sinceLookupMs: Infinity }, 'look-again'],
  ];
  for (const [name, patch, want] of rows) assert.equal(senderVerdict({ ...base, ...patch }), want, name);
});

const P = 'bbbbbbbbbbbbbb';
const Q = 'cccccccccccccc';

function dnsError(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(code);
  err.code = code;
  return err;
}

/** A SenderCheck over a table of AAAA answers per Machine id; 'NXDOMAIN' and 'SERVFAIL' answers fail. */
function checker(table: Record<string, string[] | 'NXDOMAIN' | 'SERVFAIL'>, maxMachines = 10) {
  let nowMs = 10_000;
  const asked: string[] = [];
  let hold: Promise<void> | null = null;
  const check = new SenderCheck({
    lookup: async (id) => {
      asked.push(id);
      if (hold !== null) await hold;
      const answer = table[id] ?? 'NXDOMAIN';
      if (answer === 'NXDOMAIN') throw dnsError('ENOTFOUND');
      if (answer === 'SERVFAIL') throw dnsError('ESERVFAIL');
      return answer;
    },
    refreshMinIntervalMs: 1000,
    maxMachines,
    now: () => nowMs,
  });
  return {
    check,
    table,
    asked,
    advance: (ms: number) => (nowMs += ms),
    holdLookups: () => {
      let release = () => {};
      hold = new Promise<void>((resolve) => (release = resolve));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

test('SenderCheck: the named Machine itself is let through, another caller is not', async () => {
  const c = checker({ [P]: ['::ffff:127.0.0.2'] });
  assert.equal(await c.check.verify(P, '127.0.0.2'), 'ok', 'mapped answer, plain caller: same address');
  assert.equal(await c.check.verify(P, '::ffff:127.0.0.2'), 'ok');
  assert.deepEqual(c.asked, [P], 'the answer is held: one lookup');
  assert.equal(await c.check.verify(P, '127.0.0.3'), 'not-that-machine', 'a token holder naming P');
  assert.deepEqual(c.asked, [P], 'a mismatch right after a lookup asks nothing');
});

test('SenderCheck: a Machine with a new address is looked up again, once per interval', async () => {
  const c = checker({ [P]: ['127.0.0.2'] });
  assert.equal(await c.check.verify(P, '127.0.0.2'), 'ok');
  c.table[P] = ['127.0.0.9'];
  c.advance(999);
  assert.equal(await c.check.verify(P, '127.0.0.9'), 'not-that-machine');
  assert.equal(c.asked.length, 1);
  c.advance(1);
  assert.equal(await c.check.verify(P, '127.0.0.9'), 'ok');
  assert.equal(c.asked.length, 2);
});

test('SenderCheck: no such Machine is a mismatch (held); DNS failing is unverifiable (not held)', async () => {
  const c = checker({ [Q]: 'SERVFAIL' });
  assert.equal(await c.check.verify(P, '127.0.0.2'), 'not-that-machine');
  assert.equal(await c.check.verify(P, '127.0.0.2'), 'not-that-machine');
  assert.deepEqual(c.asked, [P], 'NXDOMAIN is an answer too');
  assert.equal(await c.check.verify(Q, '127.0.0.2'), 'unverifiable');
  assert.equal(await c.check.verify(Q, '127.0.0.2'), 'unverifiable');
  assert.deepEqual(c.asked, [P, Q, Q], 'a failed lookup is asked again');
});

test('SenderCheck: concurrent pushes naming one Machine share one lookup', async () => {
  const c = checker({ [P]: ['127.0.0.2'] });
  const release = c.holdLookups();
  const both = Promise.all([c.check.verify(P, '127.0.0.2'), c.check.verify(P, '127.0.0.7')]);
  release();
  assert.deepEqual(await both, ['ok', 'not-that-machine']);
  assert.deepEqual(c.asked, [P]);
});

test('SenderCheck: answers held for at most maxMachines names, the oldest dropped first', async () => {
  const ids = ['aaaaaaaaaaaaa1', 'aaaaaaaaaaaaa2', 'aaaaaaaaaaaaa3'];
  const c = checker(Object.fromEntries(ids.map((id, i) => [id, [`127.0.0.${i + 1}`]])), 2);
  for (const [i, id] of ids.entries()) assert.equal(await c.check.verify(id, `127.0.0.${i + 1}`), 'ok');
  assert.equal(c.check.held, 2);
  assert.equal(await c.check.verify(ids[1]!, '127.0.0.2'), 'ok');
  assert.equal(c.asked.length, 3, 'the second is still held');
  assert.equal(await c.check.verify(ids[0]!, '127.0.0.1'), 'ok');
  assert.equal(c.asked.length, 4, 'the first was dropped and is asked again');
});
