import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeExit, type StartFailure, startFailureMessage } from './start-failure.ts';

test('describeExit', () => {
  assert.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
  assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'was killed by SIGKILL');
  assert.equal(
    describeExit({ code: null, signal: null, error: 'command not found: x' }),
    'could not run: command not found: x',
  );
});

test('a failed start is one message: what happened, the command, the last output', () => {
  const facts = {
    id: '286533db064e58',
    region: 'dfw',
    where: '[fdaa:0:3f:a2c1::100]:8080',
    command: ['node', 'app.js'],
    tail: ['booting', 'config gone'],
    startTimeoutMs: 3000,
  };
  const tail = '\n  last output:\n    booting\n    config gone';
  const rows: Array<[StartFailure, string]> = [
    [
      { kind: 'exit', exit: { code: 3, signal: null } },
      `Machine 286533db064e58 (dfw) exited with code 3 before listening on [fdaa:0:3f:a2c1::100]:8080; command: node app.js${tail}`,
    ],
    [
      { kind: 'timeout' },
      `Machine 286533db064e58 (dfw) did not listen on [fdaa:0:3f:a2c1::100]:8080 within 3000 ms; command: node app.js${tail}`,
    ],
    [
      { kind: 'unreachable', message: 'port agent did not start' },
      `Machine 286533db064e58 (dfw) cannot be reached: port agent did not start; command: node app.js${tail}`,
    ],
    [
      { kind: 'refused', message: 'Machine x listens on 0.0.0.0:8080' },
      `refused: Machine x listens on 0.0.0.0:8080; command: node app.js${tail}`,
    ],
  ];
  for (const [failure, message] of rows) assert.equal(startFailureMessage(facts, failure), message, failure.kind);
  assert.equal(
    startFailureMessage({ ...facts, tail: [] }, { kind: 'timeout' }),
    'Machine 286533db064e58 (dfw) did not listen on [fdaa:0:3f:a2c1::100]:8080 within 3000 ms; command: node app.js',
  );
});
