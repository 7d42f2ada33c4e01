import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { build, logCapture, OTHER_ID, SELF_ID } from '../../test/support/app.ts';
import { anyMachineMatcher } from './plugin.ts';

function setCookie(res: { headers: Record<string, unknown> }): string {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? value.join('\n') : String(value ?? '');
}

test('any-Machine paths: an entry without a trailing slash matches exactly, one with it as a prefix', () => {
  const matches = anyMachineMatcher(['/healthz', '/assets/', '/api/streams', '/api/streams/']);
  const rows: Array<[string, boolean]> = [
    ['/healthz', true],
    ['/healthz/', false],
    ['/healthzx', false],
    ['/assets/app.js', true],
    ['/assets/', true],
    ['/assets', false],
    ['/api/streams', true],
    ['/api/streams/01J00000000000000000000000', true],
    ['/api/streamsx', false],
    ['/api/whoami', false],
    ['/', false],
  ];
  for (const [path, expected] of rows) assert.equal(matches(path), expected, path);
  assert.equal(anyMachineMatcher([])('/healthz'), false, 'an empty list matches nothing');
});

test('?instance= this Machine serves and sets the six-day cookie', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: `/api/whoami?instance=${SELF_ID}` });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().machineId, SELF_ID);
  const cookie = setCookie(res);
  assert.match(cookie, new RegExp(`^fly-machine-id=${SELF_ID}; `));
  assert.match(cookie, /Max-Age=518400(;|$)/);
  assert.match(cookie, /Path=\//);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.doesNotMatch(cookie, /Secure/);
});

test('the cookie is Secure behind https', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: `/api/whoami?instance=${SELF_ID}`, headers: { 'x-forwarded-proto': 'https' } });
  assert.match(setCookie(res), /; Secure/);
});

test('?instance= another Machine answers 307 + fly-replay with an empty body', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: `/api/whoami?instance=${OTHER_ID}` });
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers['fly-replay'], `instance=${OTHER_ID};timeout=5s;fallback=prefer_self`);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.body, '');
  assert.equal(res.headers['set-cookie'], undefined);
});

test('the replay timeout is configurable', async (t) => {
  const app = await build(t, { routing: { replayTimeoutMs: 2500 } });
  const res = await app.inject({ url: `/api/whoami?instance=${OTHER_ID}` });
  assert.equal(res.headers['fly-replay'], `instance=${OTHER_ID};timeout=2500ms;fallback=prefer_self`);
});

test('a cookie for another Machine replays with prefer_instance', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/api/whoami', cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers['fly-replay'], `prefer_instance=${OTHER_ID}`);
});

test('a cookie for this Machine serves without touching the cookie', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/api/whoami', cookies: { 'fly-machine-id': SELF_ID } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['set-cookie'], undefined);
});

test('fly-force-instance-id naming this Machine wins over the cookie', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: '/api/whoami',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'fly-force-instance-id': SELF_ID },
  });
  assert.equal(res.statusCode, 200);
});

test('off Fly everything is served and no cookie is set', async (t) => {
  const app = await build(t, { machine: { id: null } });
  const res = await app.inject({ url: `/api/whoami?instance=${OTHER_ID}`, cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { machineId: null, region: 'ams', app: 'replaycast-test' });
  assert.equal(res.headers['set-cookie'], undefined);
});

test('/healthz is never replayed, whatever the request says', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: `/healthz?instance=${OTHER_ID}`, cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { ok: true });
});

test('the any-Machine list is configurable', async (t) => {
  const app = await build(t, { routing: { anyMachinePaths: ['/api/whoami'] } });
  const whoami = await app.inject({ url: '/api/whoami', cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(whoami.statusCode, 200);
  const health = await app.inject({ url: '/healthz', cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(health.statusCode, 307, 'healthz is no longer in the list');
});

test('a POST to an any-Machine path still follows the cookie', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    method: 'POST',
    url: '/healthz',
    cookies: { 'fly-machine-id': OTHER_ID },
    payload: {},
  });
  assert.equal(res.statusCode, 307);
});

const badInstances: Array<[string, string]> = [
  ['CRLF', `${OTHER_ID}\r\nx-evil: 1`],
  ['%0d%0a', `${OTHER_ID}%0d%0ax-evil:%201`],
  ['13 chars', OTHER_ID.slice(0, 13)],
  ['15 chars', `${OTHER_ID}0`],
  ['uppercase', OTHER_ID.toUpperCase()],
  ['empty', ''],
];
for (const [name, value] of badInstances) {
  test(`bad ?instance= (${name}) -> 400 JSON, value not echoed`, async (t) => {
    const app = await build(t);
    const raw = name === '%0d%0a' ? value : encodeURIComponent(value);
    const res = await app.inject({ url: `/api/whoami?instance=${raw}` });
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /application\/json/);
    assert.match(res.json().error, /instance/);
    assert.ok(!res.body.includes('evil') && !JSON.stringify(res.headers).includes('evil'));
    assert.equal(res.headers['fly-replay'], undefined);
  });
}

test('a repeated ?instance= is a 400', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: `/api/whoami?instance=${SELF_ID}&instance=${SELF_ID}` });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().error, /once/);
});

test('a garbage cookie is cleared and the request served', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/api/whoami', headers: { cookie: 'fly-machine-id=%%%garbage\r' } });
  assert.equal(res.statusCode, 200);
  assert.match(setCookie(res), /^fly-machine-id=; .*Expires=Thu, 01 Jan 1970/);
});

test('an oversized body is not replayed: 413 naming fly-force-instance-id', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    method: 'POST',
    url: '/api/anything',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(1024 * 1024),
  });
  assert.equal(res.statusCode, 413);
  assert.match(res.json().error, /fly-force-instance-id/);
  assert.equal(res.headers['fly-replay'], undefined);
});

test('a body one byte under the limit is replayed', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    method: 'POST',
    url: '/api/anything',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(1024 * 1024 - 1),
  });
  assert.equal(res.statusCode, 307);
});

test('a replayed request is never replayed again; the stale cookie is rewritten', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: '/api/whoami',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'fly-replay-src': `instance=${OTHER_ID};region=dfw;t=1700000000000000` },
  });
  assert.equal(res.statusCode, 200);
  assert.match(setCookie(res), new RegExp(`^fly-machine-id=${SELF_ID};`));
});

test('fly-replay-failed after an explicit ?instance= on an API path is a 404 reason', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: `/api/whoami?instance=${OTHER_ID}`,
    headers: {
      'fly-replay-failed': `instance=${OTHER_ID};app=replaycast-test;region=dfw;replay_source=${SELF_ID};reason=no_candidate;elapsed_ms=3`,
    },
  });
  assert.equal(res.statusCode, 404);
  assert.match(res.json().error, /moved or ended/);
});

test('a cookie naming a Machine the directory does not list is rewritten, not replayed', async (t) => {
  const app = await build(t);
  // The directory's answer once a fresh view lists this Machine only.
  t.mock.method(app.directory, 'machineKnown', (id: string) => id === SELF_ID);
  const res = await app.inject({ url: '/api/whoami', cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(res.statusCode, 200);
  assert.match(setCookie(res), new RegExp(`^fly-machine-id=${SELF_ID};`));
});

test('a bad ?instance= on a page a browser opens gets a readable HTML page, not JSON', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: '/watch/abc?instance=XYZ',
    headers: { accept: 'text/html,application/xhtml+xml' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.headers['content-type'] as string, /^text\/html/);
  assert.match(res.body, /role="alert">the instance parameter must be a Machine id/);
  assert.ok(!res.body.includes('XYZ'));
});

test('API paths keep JSON errors even when the client accepts HTML', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/api/whoami?instance=XYZ', headers: { accept: 'text/html' } });
  assert.equal(res.statusCode, 400);
  assert.match(res.headers['content-type'] as string, /application\/json/);
});

test('a body of unknown length (chunked) is not replayed: 413', async (t) => {
  const app = await build(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as import('node:net').AddressInfo;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/anything',
        headers: { cookie: `fly-machine-id=${OTHER_ID}`, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write('part one');
    req.end('part two');
  });
  assert.equal(status, 413);
});

test('a replayed-and-failed WebSocket upgrade after ?instance= gets the 404 reason, not a socket', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: `/ws/whoami?instance=${OTHER_ID}`,
    headers: {
      connection: 'upgrade',
      upgrade: 'websocket',
      'fly-replay-failed': `instance=${OTHER_ID};reason=timeout;elapsed_ms=5000`,
    },
  });
  assert.equal(res.statusCode, 404);
  assert.match(res.json().error, /moved or ended/);
});

test('serving a request that was already replayed logs a warning with both Machine ids', async (t) => {
  const capture = logCapture();
  const app = await build(t, { server: { logLevel: 'info' } }, { logStream: capture });
  await app.inject({
    url: '/api/whoami',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'fly-replay-src': `instance=${OTHER_ID};region=dfw;t=1` },
  });
  const warning = capture.lines.find((l) => l.level === 40 && String(l.msg).includes('already replayed'));
  assert.ok(warning, 'a warn line');
  assert.equal(warning.self, SELF_ID);
  assert.equal(warning.wanted, OTHER_ID);
});

test('a cache hit that reached the wrong Machine is replayed with fly-replay-cache: invalidate', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: '/api/whoami',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'fly-replay-cache-status': 'hit' },
  });
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers['fly-replay'], `prefer_instance=${OTHER_ID}`);
  assert.equal(res.headers['fly-replay-cache'], 'invalidate');
});

test('an ordinary cookie replay does not touch the replay cache', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/api/whoami', cookies: { 'fly-machine-id': OTHER_ID } });
  assert.equal(res.statusCode, 307);
  assert.equal(res.headers['fly-replay-cache'], undefined);
});

test('a request the replay cache replayed (miss) is served, not replayed again', async (t) => {
  const app = await build(t);
  const res = await app.inject({
    url: '/api/whoami',
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { 'fly-replay-cache-status': 'miss' },
  });
  assert.equal(res.statusCode, 200);
  assert.match(setCookie(res), new RegExp(`^fly-machine-id=${SELF_ID};`));
});
