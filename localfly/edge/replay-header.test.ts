import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatReplayFailed,
  formatReplaySrc,
  parseDuration,
  parseReplayHeader,
  parseReplayJson,
  type ReplayDirective,
  replayKind,
} from './replay-header.ts';

const ID = '286533db064e58';

test('header form: valid values', () => {
  const rows: Array<[string, Partial<ReplayDirective>]> = [
    [`instance=${ID};timeout=5s;fallback=prefer_self`, { instance: ID, timeoutMs: 5000, fallback: 'prefer_self' }],
    [`prefer_instance=${ID}`, { preferInstance: ID }],
    ['region=sjc', { regions: ['sjc'] }],
    ['region="ams,dfw"', { regions: ['ams', 'dfw'] }],
    ['region="ams, dfw" ; elsewhere=true', { regions: ['ams', 'dfw'], elsewhere: true }],
    ['region=sjc;state=captured_write', { regions: ['sjc'], state: 'captured_write' }],
    ['region=sjc;app=app-in-same-org', { regions: ['sjc'], app: 'app-in-same-org' }],
    ['state="a;b=c"', { state: 'a;b=c' }],
    ['elsewhere=true', { elsewhere: true }],
    ['elsewhere=false;timeout=800ms;fallback=force_self', { timeoutMs: 800, fallback: 'force_self' }],
    ['INSTANCE=00bb33ff', { instance: '00bb33ff' }],
    [`instance=${ID};`, { instance: ID }],
    [`;; instance = ${ID} ;`, { instance: ID }],
    ['region=any', { regions: ['any'] }],
    // Unknown fields are ignored, for fields Fly may add later.
    [`instance=${ID};cache=whatever`, { instance: ID }],
  ];
  for (const [header, expected] of rows) {
    const parsed = parseReplayHeader(header);
    assert.deepEqual(parsed, { ok: true, directive: { elsewhere: false, ...expected } }, header);
  }
});

test('header form: invalid values (PA03)', () => {
  const rows: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ;  ', /empty/],
    ['instance', /has no value/],
    [`instance=${ID};elsewhere`, /"elsewhere" has no value/],
    ['instance=', /instance must be a Machine id/],
    ['instance=a b', /Machine id/],
    ['=x', /no name/],
    ['region=ams,dfw', /must be quoted/],
    ['region="ams,dfw', /unterminated quote/],
    ['region="ams"x', /unexpected text/],
    ['region=', /region must be/],
    ['region="ams,,dfw"', /region must be/],
    ['region=AMS', /region must be/],
    ['app=Bad_App', /app must be/],
    ['elsewhere=yes', /elsewhere must be/],
    ['timeout=5', /timeout must be/],
    ['timeout=5m', /timeout must be/],
    ['timeout=-1s', /timeout must be/],
    ['fallback=self', /fallback must be/],
    [`instance=${ID};instance=${ID}`, /given twice/],
  ];
  for (const [header, error] of rows) {
    const parsed = parseReplayHeader(header);
    assert.equal(parsed.ok, false, header);
    assert.match((parsed as { error: string }).error, error, header);
  }
});

test('JSON form: all fields, transform, cache ignored', () => {
  const parsed = parseReplayJson(
    JSON.stringify({
      instance: ID,
      region: 'ams,dfw',
      app: 'demo',
      state: 'hello',
      elsewhere: true,
      timeout: '2s',
      fallback: 'force_self',
      transform: { path: '/other?x=1', delete_headers: ['X-Secret'], set_headers: [{ name: 'X-Added', value: 'yes' }] },
      cache: { prefix: '/x/*', ttl: 30 },
      allow_bypass: true,
    }),
  );
  assert.deepEqual(parsed, {
    ok: true,
    directive: {
      instance: ID,
      regions: ['ams', 'dfw'],
      app: 'demo',
      state: 'hello',
      elsewhere: true,
      timeoutMs: 2000,
      fallback: 'force_self',
      transform: { path: '/other?x=1', deleteHeaders: ['x-secret'], setHeaders: [{ name: 'x-added', value: 'yes' }] },
    },
  });
  assert.deepEqual(parseReplayJson('{"region": ["ams", "dfw"]}'), {
    ok: true,
    directive: { elsewhere: false, regions: ['ams', 'dfw'] },
  });
  assert.deepEqual(parseReplayJson('{}'), { ok: true, directive: { elsewhere: false } });
});

test('JSON form: invalid bodies (PA03)', () => {
  const rows: Array<[string, RegExp]> = [
    ['not json', /not valid JSON/],
    ['[]', /JSON object/],
    ['null', /JSON object/],
    ['{"instance": 5}', /instance must be/],
    ['{"region": 5}', /region must be a string/],
    ['{"region": ["ams", 5]}', /region must be a string/],
    ['{"elsewhere": "maybe"}', /elsewhere/],
    ['{"timeout": 5000}', /timeout/],
    ['{"fallback": "nope"}', /fallback/],
    ['{"transform": 1}', /transform must be an object/],
    ['{"transform": {"path": "no-slash"}}', /transform.path/],
    ['{"transform": {"delete_headers": "x"}}', /delete_headers/],
    ['{"transform": {"delete_headers": ["bad header"]}}', /delete_headers/],
    ['{"transform": {"set_headers": [{"name": "x"}]}}', /set_headers/],
    ['{"transform": {"set_headers": [{"name": "x", "value": "a\\r\\nb"}]}}', /set_headers/],
  ];
  for (const [body, error] of rows) {
    const parsed = parseReplayJson(body);
    assert.equal(parsed.ok, false, body);
    assert.match((parsed as { error: string }).error, error, body);
  }
});

test('parseDuration', () => {
  const rows: Array<[string, number | null]> = [
    ['5s', 5000],
    ['800ms', 800],
    ['1.5s', 1500],
    ['0ms', 0],
    ['5', null],
    ['s', null],
    ['5 s', null],
    ['1h', null],
  ];
  for (const [text, ms] of rows) assert.equal(parseDuration(text), ms, text);
});

test('replayKind names the field that chose the target', () => {
  assert.equal(replayKind({ elsewhere: false, instance: ID, regions: ['ams'] }), 'instance');
  assert.equal(replayKind({ elsewhere: false, preferInstance: ID }), 'prefer_instance');
  assert.equal(replayKind({ elsewhere: false, regions: ['ams'] }), 'region');
  assert.equal(replayKind({ elsewhere: true }), 'any');
});

test('fly-replay-src and fly-replay-failed formats', () => {
  assert.equal(
    formatReplaySrc({ instance: ID, region: 'ams', tMicros: 1_700_000_000_123_456 }),
    `instance=${ID};region=ams;t=1700000000123456`,
  );
  assert.equal(
    formatReplaySrc({ instance: ID, region: 'ams', tMicros: 1, state: 'x' }),
    `instance=${ID};region=ams;t=1;state=x`,
  );
  assert.equal(
    formatReplayFailed({
      instance: 'd8dd626f379508',
      app: 'demo',
      region: 'dfw',
      replaySource: ID,
      reason: 'timeout',
      elapsedMs: 5001.4,
    }),
    `instance=d8dd626f379508;app=demo;region=dfw;replay_source=${ID};reason=timeout;elapsed_ms=5001`,
  );
  assert.equal(
    formatReplayFailed({ app: 'demo', region: 'syd', replaySource: ID, reason: 'no_candidate', elapsedMs: 0 }),
    `app=demo;region=syd;replay_source=${ID};reason=no_candidate;elapsed_ms=0`,
  );
});
