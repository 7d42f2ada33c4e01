import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogEvent, MAX_LOG_FIELDS, MAX_LOG_VALUE_CHARS, machineColour, renderAppLine } from './format.ts';

const time = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();
const pino = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time, pid: 1, hostname: 'h', machine: 'm', region: 'ams', ...fields });

test('pino lines are rendered readably; other lines pass through', () => {
  const rows: Array<[string, string]> = [
    [
      pino({ msg: 'Server listening at http://127.0.0.2:8080' }),
      '03:04:05.067 INFO  Server listening at http://127.0.0.2:8080',
    ],
    [
      pino({ level: 40, msg: 'replaying', target: '286533db064e58', reason: 'cookie' }),
      '03:04:05.067 WARN  replaying target=286533db064e58 reason=cookie',
    ],
    [
      pino({
        reqId: 'req-1',
        req: { method: 'GET', url: '/api/whoami', host: 'x', remoteAddress: '127.0.0.1', remotePort: 1 },
        msg: 'incoming request',
      }),
      '03:04:05.067 INFO  incoming request reqId=req-1 req.method=GET req.url=/api/whoami',
    ],
    [
      pino({ res: { statusCode: 200 }, responseTime: 1.25, msg: 'request completed' }),
      '03:04:05.067 INFO  request completed res.statusCode=200 responseTime=1.25',
    ],
    [
      pino({ msg: 'spaces', note: 'two words', ok: true, list: [1, 2] }),
      '03:04:05.067 INFO  spaces note="two words" ok=true list=[1,2]',
    ],
    [pino({ level: 35, msg: 'custom level' }), '03:04:05.067 L35   custom level'],
    ['plain text from a child process', 'plain text from a child process'],
    ['{ not json', '{ not json'],
    ['{"a":1}', '{"a":1}'],
    ['{"level":"info","msg":"x"}', '{"level":"info","msg":"x"}'],
  ];
  for (const [line, expected] of rows) assert.equal(renderAppLine(line, false), expected, line);
});

test('errors show their message, and their stack at level error', () => {
  const line = pino({
    level: 50,
    msg: 'boom',
    err: { type: 'Error', message: 'bad thing', stack: 'Error: bad thing\n    at f (x.ts:1:1)' },
  });
  assert.equal(
    renderAppLine(line, false),
    '03:04:05.067 ERROR boom err.message="bad thing"\n    Error: bad thing\n        at f (x.ts:1:1)',
  );
});

test('fields and values are bounded', () => {
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
  const rendered = renderAppLine(pino({ msg: 'many', ...many }), false);
  assert.equal(rendered.split(' ').filter((p) => p.includes('=')).length, MAX_LOG_FIELDS);
  const long = renderAppLine(pino({ msg: 'long', v1: 'x'.repeat(500) }), false);
  assert.ok(long.endsWith(`v1=${'x'.repeat(MAX_LOG_VALUE_CHARS - 1)}…`), long);
});

test('Machine lines carry region and id in a stable colour; edge and localfly lines', () => {
  assert.equal(machineColour('286533db064e58'), machineColour('286533db064e58'));
  const ids = ['286533db064e58', 'd8dd626f379508', '0123456789abcd', 'ffffffffffffff', 'a0a0a0a0a0a0a0'];
  assert.ok(new Set(ids.map(machineColour)).size > 1, 'different Machines get different colours');
  const m = { id: '286533db064e58', region: 'dfw' };
  assert.equal(
    formatLogEvent({ source: 'machine', machine: m, stream: 'stdout', line: 'hello' }, false),
    'dfw 286533db064e58 hello',
  );
  const coloured = formatLogEvent({ source: 'machine', machine: m, stream: 'stdout', line: 'hello' }, true);
  assert.equal(coloured, `\x1b[${machineColour(m.id)}mdfw 286533db064e58\x1b[0m hello`);
  const edge = 'ams edge -> d8dd626f379508 replay -> 286533db064e58 (prefer_instance)';
  assert.equal(formatLogEvent({ source: 'edge', region: 'ams', level: 'info', message: edge }, false), edge);
  assert.equal(
    formatLogEvent({ source: 'localfly', level: 'info', message: 'started', machine: m }, false),
    'dfw 286533db064e58 localfly started',
  );
});
