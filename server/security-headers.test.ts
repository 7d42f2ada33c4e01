import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { build, OTHER_ID } from '../test/support/app.ts';
import { ERROR_PAGE_CSP, errorPage } from './errors/error-page.ts';
import { HSTS } from './security-headers.ts';

const INDEX = '<!doctype html><html><head></head><body><div id="app"></div></body></html>';

/** A built client in a temporary folder, with a dotfile under assets/ as a careless deploy might leave. */
async function clientRoot(t: TestContext, built = true): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'replaycast-headers-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  if (!built) return root;
  await mkdir(join(root, 'assets', '.git'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-Ab12Cd34.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', '.git', 'config'), '[remote "origin"]\n\turl = secret\n');
  await writeFile(join(root, 'assets', '.env'), 'TOKEN=secret\n');
  return root;
}

const HTML = { accept: 'text/html' };

// Every kind of answer: the app's, the routing hook's, Fastify's, the static files', the 404 handler's.
const answers: Array<[string, { method?: 'GET' | 'POST'; url: string; headers?: Record<string, string> }, number]> = [
  ['a JSON API answer', { url: '/api/whoami' }, 200],
  ['health', { url: '/healthz' }, 200],
  ['a page', { url: '/', headers: HTML }, 200],
  ['a hashed asset', { url: '/assets/index-Ab12Cd34.js' }, 200],
  ['a replay', { url: `/api/whoami?instance=${OTHER_ID}` }, 307],
  ['a bad ?instance= on a page (HTML error page)', { url: '/watch/x?instance=XYZ', headers: HTML }, 400],
  ['a bad ?instance= on the API', { url: '/api/whoami?instance=XYZ' }, 400],
  ['an unknown API path', { url: '/api/nothing' }, 404],
  ['an unknown page', { url: '/nothing', headers: HTML }, 404],
  ['a malformed URL', { url: '/api/%E0%A4%A' }, 400],
  ['a malformed page URL (HTML error page)', { url: '/watch/%E0%A4%A', headers: HTML }, 400],
  ['invalid JSON', { method: 'POST', url: '/api/streams', headers: { 'content-type': 'application/json' } }, 400],
];

for (const [name, request, status] of answers) {
  test(`${name} carries nosniff, and HSTS only behind https`, async (t) => {
    const app = await build(t, { web: { root: await clientRoot(t) } });
    const plain = await app.inject({ ...request, payload: request.method === 'POST' ? '{' : undefined });
    assert.equal(plain.statusCode, status, plain.body);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.equal(plain.headers['strict-transport-security'], undefined);
    for (const proto of ['x-forwarded-proto', 'fly-forwarded-proto']) {
      const https = await app.inject({
        ...request,
        headers: { ...request.headers, [proto]: 'https' },
        payload: request.method === 'POST' ? '{' : undefined,
      });
      assert.equal(https.headers['strict-transport-security'], HSTS, proto);
      assert.equal(https.headers['x-content-type-options'], 'nosniff', proto);
    }
    if (String(plain.headers['content-type']).startsWith('text/html')) {
      assert.match(String(plain.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });
}

test('HTML error pages carry the strict CSP, which allows exactly their inline style', async (t) => {
  const app = await build(t, { web: { root: await clientRoot(t) } });
  // The routing hook's 400, and Fastify's own for a malformed URL (answered before any hook runs).
  for (const url of ['/watch/x?instance=XYZ', '/watch/%E0%A4%A']) {
    const res = await app.inject({ url, headers: HTML });
    assert.equal(res.statusCode, 400, url);
    assert.match(String(res.headers['content-type']), /^text\/html/, url);
    assert.equal(res.headers['content-security-policy'], ERROR_PAGE_CSP, url);
  }
  const style = /<style>(.*)<\/style>/s.exec(errorPage(400, 'x'))![1]!;
  const hash = createHash('sha256').update(style).digest('base64');
  assert.ok(ERROR_PAGE_CSP.includes(`style-src 'sha256-${hash}'`));
  assert.match(ERROR_PAGE_CSP, /default-src 'none'/);
});

test('the "client not built" page carries the strict CSP too', async (t) => {
  const app = await build(t, { web: { root: await clientRoot(t, false) } });
  const res = await app.inject({ url: '/', headers: HTML });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['content-security-policy'], ERROR_PAGE_CSP);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

for (const path of [
  '/assets/.git/config',
  '/assets/.env',
  '/assets/.nothing-here',
  '/assets/.git/../index-Ab12Cd34.js',
]) {
  test(`a dotfile path under /assets (${path}) is refused without its content`, async (t) => {
    const app = await build(t, { web: { root: await clientRoot(t) } });
    const res = await app.inject({ url: path });
    assert.ok(res.statusCode === 403 || res.statusCode === 404, `status ${res.statusCode}`);
    assert.doesNotMatch(res.body, /secret/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
}

test('a dotfile that exists and one that does not get the same 403', async (t) => {
  const app = await build(t, { web: { root: await clientRoot(t) } });
  const existing = await app.inject({ url: '/assets/.git/config' });
  const missing = await app.inject({ url: '/assets/.git/nothing' });
  assert.equal(existing.statusCode, 403);
  assert.equal(missing.statusCode, 403);
  assert.equal(existing.body, missing.body);
});

async function listening(t: TestContext) {
  const app = await build(t, { web: { root: await clientRoot(t) }, directory: { internalPort: 0 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

test('the directory feed (written past the reply) carries nosniff', async (t) => {
  const port = await listening(t);
  const req = http.get({ host: '127.0.0.1', port, path: '/api/streams/events' });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  req.destroy();
});

test('a request Node cannot parse is answered with nosniff too', async (t) => {
  const port = await listening(t);
  const socket = net.createConnection({ host: '127.0.0.1', port });
  socket.write('NOT HTTP AT ALL\r\n\r\n');
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  await once(socket, 'close');
  assert.match(received, /^HTTP\/1\.1 400 /);
  assert.match(received, /\r\nX-Content-Type-Options: nosniff\r\n/);
});
