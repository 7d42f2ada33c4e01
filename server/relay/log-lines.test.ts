import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAuthFailure, parseNatsLine, RepeatFilter, redact, template } from './log-lines.ts';

test('nats-server lines: level mapped, per-connection chatter demoted to debug', () => {
  const rows: Array<[string, ReturnType<typeof parseNatsLine>]> = [
    ['[123] [INF] Server is ready', { level: 'info', msg: 'Server is ready' }],
    ['[9] [WRN] Plaintext passwords detected', { level: 'warn', msg: 'Plaintext passwords detected' }],
    [
      '[9] [ERR] Error trying to connect to route (attempt 1): x',
      { level: 'error', msg: 'Error trying to connect to route (attempt 1): x' },
    ],
    // A peer not listening yet (a cluster forming, a Machine restarting): nats-server retries, so a warning.
    [
      '[9] [ERR] Error trying to connect to route (attempt 3): dial tcp 127.0.77.3:6222: connect: connection refused',
      {
        level: 'warn',
        msg: 'Error trying to connect to route (attempt 3): dial tcp 127.0.77.3:6222: connect: connection refused',
      },
    ],
    [
      '[9] [ERR] Error trying to connect to gateway "dfw" (attempt 1): dial tcp [fdaa::3]:7222: connect: connection refused',
      {
        level: 'warn',
        msg: 'Error trying to connect to gateway "dfw" (attempt 1): dial tcp [fdaa::3]:7222: connect: connection refused',
      },
    ],
    ['[9] [FTL] Error listening on port', { level: 'fatal', msg: 'Error listening on port' }],
    ['[9] [DBG] x', { level: 'debug', msg: 'x' }],
    ['[9] [TRC] x', { level: 'trace', msg: 'x' }],
    ['[12916] 2026/11/29 17:27:20.623552 [INF] Server is ready', { level: 'info', msg: 'Server is ready' }],
    [
      '[1] [INF] 127.0.0.1:43292 - gid:6 - Gateway connection closed: Client Closed',
      { level: 'debug', msg: '127.0.0.1:43292 - gid:6 - Gateway connection closed: Client Closed' },
    ],
    [
      '[1] [INF] 127.0.77.3:7222 - gid:4 - Outbound gateway connection to "dfw" (NDIX) registered',
      { level: 'info', msg: '127.0.77.3:7222 - gid:4 - Outbound gateway connection to "dfw" (NDIX) registered' },
    ],
    [
      '[1] [INF] 127.0.77.3:6222 - rid:4 - Route connection created',
      { level: 'info', msg: '127.0.77.3:6222 - rid:4 - Route connection created' },
    ],
    // Errors about a connection stay errors.
    [
      '[1] [ERR] 127.0.0.1:1 - rid:6 - authentication error',
      { level: 'error', msg: '127.0.0.1:1 - rid:6 - authentication error' },
    ],
    ['panic: something', { level: 'info', msg: 'panic: something' }],
    // The start-up banner is debug; "Server is ready" stays info.
    ['[1] [INF] Starting nats-server', { level: 'debug', msg: 'Starting nats-server' }],
    ['[1] [INF]   Version:  2.9.10', { level: 'debug', msg: '  Version:  2.9.10' }],
    [
      '[1] [INF] Listening for route connections on 127.0.0.3:6222',
      { level: 'debug', msg: 'Listening for route connections on 127.0.0.3:6222' },
    ],
    ['[1] [INF] Reloaded server configuration', { level: 'info', msg: 'Reloaded server configuration' }],
  ];
  for (const [line, expected] of rows) assert.deepEqual(parseNatsLine(line), expected, line);
});

test('secrets are redacted wherever they appear', () => {
  assert.equal(
    redact('Removed route nats-route://relay:s3cr3t-value@127.0.0.3:6222 and s3cr3t-value again', ['s3cr3t-value']),
    'Removed route nats-route://relay:[redacted]@127.0.0.3:6222 and [redacted] again',
  );
  assert.equal(redact('nothing here', ['']), 'nothing here');
});

test('repeats share a template whatever their numbers and server ids', () => {
  const id = `N${'A'.repeat(55)}`;
  assert.equal(
    template('127.0.0.1:43284 - gid:5 - Error trying to connect to route (attempt 12)'),
    template('127.0.0.1:50000 - gid:77 - Error trying to connect to route (attempt 3)'),
  );
  assert.equal(
    template(`Outbound gateway connection to "dfw" (${id}) registered`),
    'Outbound gateway connection to "dfw" (ID) registered',
  );
  assert.notEqual(template('Route connection created'), template('Gateway connection closed'));
});

test('authentication failures are recognised on both sides', () => {
  assert.equal(isAuthFailure("127.0.77.2:7222 - gid:7 - Gateway Error 'Authorization Violation'"), true);
  assert.equal(isAuthFailure('127.0.0.1:46930 - rid:6 - authentication error'), true);
  assert.equal(isAuthFailure('Route connection created'), false);
});

test('repeat filter: one line per window, then the count of what was held back', () => {
  const f = new RepeatFilter(1000);
  assert.deepEqual(f.admit('a', 0), { emit: true, suppressed: 0 });
  assert.deepEqual(f.admit('a', 10), { emit: false, suppressed: 0 });
  assert.deepEqual(f.admit('a', 999), { emit: false, suppressed: 0 });
  assert.deepEqual(f.admit('b', 999), { emit: true, suppressed: 0 });
  assert.deepEqual(f.admit('a', 1000), { emit: true, suppressed: 2 });
  assert.deepEqual(f.admit('a', 1500), { emit: false, suppressed: 0 });
  assert.deepEqual(f.admit('a', 2000), { emit: true, suppressed: 1 });
});

test('repeat filter: bounded in keys, the oldest forgotten first', () => {
  const f = new RepeatFilter(1000, 2);
  f.admit('a', 0);
  f.admit('b', 0);
  f.admit('c', 0);
  // 'a' was evicted, so it is new again inside its window.
  assert.equal(f.admit('a', 1).emit, true);
  assert.equal(f.admit('c', 1).emit, false);
});
