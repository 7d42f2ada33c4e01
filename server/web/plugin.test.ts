import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { build as buildApp } from '../../test/support/app.ts';
import { defaultClientRoot } from './client-root.ts';
import { ASSET_CACHE_CONTROL } from './plugin.ts';

const SELF = '286533db064e58';
const OTHER = 'd8913edc2d66e8';
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="app"></div></body></html>';
const JS = 'console.log("hi")';

async function writeBuild(root: string): Promise<void> {
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'index-Ab12Cd34.js'), JS);
  await writeFile(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replaycast-web-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The whole app (routing hook, API routes, the web plugin last), serving the client built in `root`. */
function build(t: TestContext, root: string) {
  return buildApp(t, { machine: { id: SELF }, web: { root } });
}

test('pages get the app HTML with no-cache and the Machine written on <body>', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  for (const url of ['/', '/live', '/live/anything', '/watch/01ABC', `/watch/01ABC?instance=${SELF}`, '/watch/a/b/c']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
    assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/, url);
    assert.match(res.body, new RegExp(`<body data-instance="${SELF}" data-region="ams"><div id="app">`), url);
    assert.match(String(res.headers['content-security-policy']), /connect-src 'self'/, url);
  }
  const head = await app.inject({ method: 'HEAD', url: '/' });
  assert.equal(head.statusCode, 200);
});

test('the edge region from fly-region is written too, when it is a region code', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  const res = await app.inject({ url: '/', headers: { 'fly-region': 'dfw' } });
  assert.match(res.body, /data-region="ams" data-edge-region="dfw">/);
  const bad = await app.inject({ url: '/', headers: { 'fly-region': '"><script>' } });
  assert.doesNotMatch(bad.body, /data-edge-region/);
});

test('hashed assets are cached for a year and served whatever the cookie says (never replayed)', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  const res = await app.inject({ url: '/assets/index-Ab12Cd34.js', cookies: { 'fly-machine-id': OTHER } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], ASSET_CACHE_CONTROL);
  assert.equal(ASSET_CACHE_CONTROL, 'public, max-age=31536000, immutable');
  assert.match(String(res.headers['content-type']), /javascript/);
  assert.equal(res.body, JS);
  assert.equal(res.headers['fly-replay'], undefined);

  // A page with that cookie, by contrast, is replayed to the Machine it names.
  const page = await app.inject({ url: '/', cookies: { 'fly-machine-id': OTHER } });
  assert.equal(page.statusCode, 307);
  assert.equal(page.headers['fly-replay'], `prefer_instance=${OTHER}`);
});

test('a missing asset is a plain 404 that is not cached as immutable, and paths cannot escape assets/', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  await writeFile(join(root, 'secret.txt'), 'SECRET');
  const missing = await app.inject({ url: '/assets/nope-123.js' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['cache-control'], 'no-store');
  assert.equal(missing.body, '404 not found\n');

  // Over a real socket, so the path reaches the server exactly as written (inject normalises it).
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  for (const path of [
    '/assets/%2e%2e/index.html',
    '/assets/..%2findex.html',
    '/assets/../index.html',
    '/assets/%2e%2e/secret.txt',
  ]) {
    const res = await rawGet(port, path);
    assert.ok(res.status === 403 || res.status === 404, `${path}: ${res.status}`);
    assert.notEqual(res.headers['cache-control'], ASSET_CACHE_CONTROL, path);
    assert.doesNotMatch(res.body, /SECRET/, path);
    assert.notEqual(res.body, INDEX, path);
  }
});

function rawGet(
  port: number,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('unknown API and socket paths get JSON 404s; known API routes still answer', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  for (const [method, url] of [
    ['GET', '/api/nope'],
    ['POST', '/api/nope'],
    ['GET', '/api'],
    ['GET', '/ws/nope'],
    ['DELETE', '/api/whoami'],
  ] as const) {
    const res = await app.inject({ method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.match(String(res.headers['content-type']), /^application\/json/, url);
    assert.equal(typeof res.json().error, 'string', url);
  }
  const known = await app.inject({ url: '/api/whoami' });
  assert.equal(known.json().machineId, SELF);
});

test('other unknown paths get a 404: the app page for browsers, plain text for other methods', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  const page = await app.inject({ url: '/nope' });
  assert.equal(page.statusCode, 404);
  assert.match(page.body, /data-instance=/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  const post = await app.inject({ method: 'POST', url: '/nope' });
  assert.equal(post.statusCode, 404);
  assert.equal(post.body, '404 not found\n');
});

test('the favicon is served with a day of caching', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  const res = await app.inject({ url: '/favicon.svg' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'image/svg+xml');
  assert.equal(res.headers['cache-control'], 'public, max-age=86400');
});

test('a missing build gives a clear 503 page, not a crash, and is picked up once built', async (t) => {
  const root = await tempDir(t);
  const app = await build(t, root);
  const res = await app.inject({ url: '/watch/x' });
  assert.equal(res.statusCode, 503);
  assert.match(res.body, /npm run build:client/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal((await app.inject({ url: '/api/nope' })).statusCode, 404);
  assert.equal((await app.inject({ url: '/favicon.svg' })).statusCode, 404);

  await writeBuild(root);
  const after = await app.inject({ url: '/' });
  assert.equal(after.statusCode, 200);
  assert.match(after.body, /data-region="ams"/);
});

test('a rebuild while the server runs is served on the next page view; a broken build is a 503', async (t) => {
  const root = await tempDir(t);
  await writeBuild(root);
  const app = await build(t, root);
  assert.match((await app.inject({ url: '/' })).body, /index-Ab12Cd34\.js/);
  await writeFile(join(root, 'index.html'), INDEX.replace('Ab12Cd34', 'Zz99Yy88'));
  const later = new Date(Date.now() + 5000);
  await utimes(join(root, 'index.html'), later, later);
  const res = await app.inject({ url: '/' });
  assert.match(res.body, /index-Zz99Yy88\.js/);
  assert.match(res.body, /data-instance="286533db064e58"/);

  await writeFile(join(root, 'index.html'), '<html>no body tag</html>');
  const evenLater = new Date(Date.now() + 10_000);
  await utimes(join(root, 'index.html'), evenLater, evenLater);
  assert.equal((await app.inject({ url: '/' })).statusCode, 503);
});

test('defaultClientRoot finds dist/client from the source tree and from the compiled tree', () => {
  assert.equal(defaultClientRoot('file:///app/server/web/client-root.ts'), '/app/dist/client/');
  assert.equal(defaultClientRoot('file:///app/dist/server/web/client-root.js'), '/app/dist/client/');
});
