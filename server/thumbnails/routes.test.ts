import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, OTHER_ID, SELF_ID } from '../../test/support/app.ts';
import { jpegOf, liveStream, PNG_BYTES, webpOf } from '../../test/support/thumbnails.ts';

const MAX = 64 * 1024;
const UNKNOWN_ID = '01J00000000000000000000000';

function put(app: import('fastify').FastifyInstance, id: string, body: Buffer, token?: string, type = 'image/jpeg') {
  return app.inject({
    method: 'PUT',
    url: `/api/streams/${id}/thumbnail`,
    headers: {
      'content-type': type,
      'fly-force-instance-id': SELF_ID,
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    payload: body,
  });
}

test('PUT thumbnail: 200 with its version and the interval; GET serves it with etag, a short cache-control and nosniff', async (t) => {
  const app = await build(t);
  const stream = liveStream(app);
  const image = jpegOf(5000);
  const res = await put(app, stream.id, image, stream.token);
  assert.equal(res.statusCode, 200, res.body);
  const { version, intervalMs } = res.json();
  assert.ok(Number.isSafeInteger(version) && version > 0);
  assert.equal(intervalMs, 10_000);
  assert.equal(res.headers['cache-control'], 'no-store');

  const got = await app.inject(`/api/streams/${stream.id}/thumbnail?v=${version}`);
  assert.equal(got.statusCode, 200);
  assert.equal(got.headers['content-type'], 'image/jpeg');
  assert.equal(got.headers.etag, `"${version}"`);
  assert.equal(got.headers['cache-control'], 'public, max-age=5');
  assert.equal(got.headers['x-content-type-options'], 'nosniff');
  assert.deepEqual(got.rawPayload, image);

  const again = await app.inject({
    url: `/api/streams/${stream.id}/thumbnail`,
    headers: { 'if-none-match': `"${version}"` },
  });
  assert.equal(again.statusCode, 304);
  assert.equal(again.rawPayload.length, 0);

  // A version newer than the one held (a page whose feed came from a Machine further along) gets what is
  // held, not to be cached under the newer version's URL.
  const ahead = await app.inject(`/api/streams/${stream.id}/thumbnail?v=${version + 1}`);
  assert.equal(ahead.statusCode, 200);
  assert.equal(ahead.headers.etag, `"${version}"`);
  assert.equal(ahead.headers['cache-control'], 'no-store');
  const older = await app.inject(`/api/streams/${stream.id}/thumbnail?v=${version - 1}`);
  assert.equal(older.headers['cache-control'], 'public, max-age=5');

  // The home's directory names the version, so pages know there is one to load.
  assert.equal((await app.inject(`/api/streams/${stream.id}`)).json().thumbnail, version);
});

test('the type is taken from the bytes, not the content type', async (t) => {
  const app = await build(t);
  const stream = liveStream(app);
  const webp = webpOf(300);
  assert.equal((await put(app, stream.id, webp, stream.token, 'application/octet-stream')).statusCode, 200);
  assert.equal((await app.inject(`/api/streams/${stream.id}/thumbnail`)).headers['content-type'], 'image/webp');
  const other = liveStream(app, 'other');
  const disguised = await put(app, other.id, PNG_BYTES, other.token, 'image/jpeg');
  assert.equal(disguised.statusCode, 415);
  assert.match(disguised.json().error, /JPEG or WebP/);
});

test('PUT thumbnail refusals: 400 malformed id, 404 unknown stream, 401 token, 415 content, 429 rate, each as {"error"}', async (t) => {
  const app = await build(t);
  const stream = liveStream(app);
  const other = liveStream(app, 'other');
  const rows: Array<[string, () => ReturnType<typeof put>, number, RegExp]> = [
    ['malformed id', () => put(app, 'not-an-id', jpegOf(100), stream.token), 400, /must match/],
    ['unknown stream', () => put(app, UNKNOWN_ID, jpegOf(100), stream.token), 404, /no live stream/],
    ['no token', () => put(app, stream.id, jpegOf(100)), 401, /publish token/],
    ['wrong token', () => put(app, stream.id, jpegOf(100), `${stream.token}x`), 401, /publish token/],
    ["another stream's token", () => put(app, stream.id, jpegOf(100), other.token), 401, /publish token/],
    ['a PNG', () => put(app, stream.id, PNG_BYTES, stream.token, 'image/png'), 415, /JPEG or WebP/],
    ['no body', () => put(app, stream.id, Buffer.alloc(0), stream.token), 415, /JPEG or WebP/],
  ];
  for (const [what, send, status, reason] of rows) {
    const res = await send();
    assert.equal(res.statusCode, status, `${what}: ${res.body}`);
    assert.match(res.json().error, reason, what);
  }
  assert.equal((await app.inject(`/api/streams/${stream.id}/thumbnail`)).statusCode, 404, 'nothing stored');

  assert.equal((await put(app, stream.id, jpegOf(100), stream.token)).statusCode, 200);
  const soon = await put(app, stream.id, jpegOf(100), stream.token);
  assert.equal(soon.statusCode, 429);
  assert.equal(soon.json().error, 'at most one thumbnail per 5000 ms per stream');
  assert.ok(soon.json().retryAfterMs > 0 && soon.json().retryAfterMs <= 5000);
  assert.equal(soon.headers['retry-after'], '5');
});

test('PUT thumbnail: exactly THUMBNAIL_MAX_BYTES is taken, one byte more is 413', async (t) => {
  const app = await build(t);
  const a = liveStream(app);
  const b = liveStream(app, 'b');
  assert.equal((await put(app, a.id, jpegOf(MAX), a.token)).statusCode, 200);
  const over = await put(app, b.id, jpegOf(MAX + 1), b.token);
  assert.equal(over.statusCode, 413);
  assert.equal(over.json().error, `the request body is larger than ${MAX} bytes`);
});

test('the size cap and the rate are configurable', async (t) => {
  const app = await build(t, { thumbnails: { maxBytes: 2000, minIntervalMs: 100, intervalMs: 100 } });
  const s = liveStream(app);
  assert.equal((await put(app, s.id, jpegOf(2001), s.token)).statusCode, 413);
  const ok = await put(app, s.id, jpegOf(2000), s.token);
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().intervalMs, 100);
  assert.ok((await put(app, s.id, jpegOf(2000), s.token)).json().retryAfterMs <= 100);
});

test('GET thumbnail: 404 until there is one and again once the stream ended; 400 for a malformed id', async (t) => {
  const app = await build(t);
  const stream = liveStream(app);
  const none = await app.inject(`/api/streams/${stream.id}/thumbnail`);
  assert.equal(none.statusCode, 404);
  assert.deepEqual(none.json(), { error: 'no thumbnail for this stream yet' });
  await put(app, stream.id, jpegOf(100), stream.token);
  assert.equal((await app.inject(`/api/streams/${stream.id}/thumbnail`)).statusCode, 200);
  stream.end();
  assert.equal((await app.inject(`/api/streams/${stream.id}/thumbnail`)).statusCode, 404);
  assert.equal(app.thumbnails.store.size, 0);
  assert.equal((await app.inject('/api/streams/nope/thumbnail')).statusCode, 400);
  assert.equal((await app.inject(`/api/streams/${UNKNOWN_ID}/thumbnail?v=abc`)).statusCode, 400);
});

test('routing: GET thumbnail is served by any Machine, never replayed; PUT follows the cookie unless forced here', async (t) => {
  const app = await build(t);
  const stream = liveStream(app);
  await put(app, stream.id, jpegOf(100), stream.token);
  const read = await app.inject({
    url: `/api/streams/${stream.id}/thumbnail`,
    cookies: { 'fly-machine-id': OTHER_ID },
  });
  assert.equal(read.statusCode, 200);
  assert.equal(read.headers['fly-replay'], undefined);
  const head = await app.inject({ method: 'HEAD', url: `/api/streams/${stream.id}/thumbnail?instance=${OTHER_ID}` });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['fly-replay'], undefined);

  const pinned = await app.inject({
    method: 'PUT',
    url: `/api/streams/${stream.id}/thumbnail`,
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: { authorization: `Bearer ${stream.token}`, 'content-type': 'image/jpeg' },
    payload: jpegOf(100),
  });
  assert.equal(pinned.statusCode, 307);
  assert.equal(pinned.headers['fly-replay'], `prefer_instance=${OTHER_ID}`);
  const forced = await app.inject({
    method: 'PUT',
    url: `/api/streams/${stream.id}/thumbnail`,
    cookies: { 'fly-machine-id': OTHER_ID },
    headers: {
      authorization: `Bearer ${stream.token}`,
      'content-type': 'image/jpeg',
      'fly-force-instance-id': SELF_ID,
    },
    payload: jpegOf(100),
  });
  // Served here: refused only by the rate limit, after the upload above.
  assert.equal(forced.statusCode, 429);
});
