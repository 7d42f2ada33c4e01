import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { build, logCapture } from '../../test/support/app.ts';
import { buildPeerApi, SNAPSHOT_PATH } from '../directory/peer-api.ts';
import { CREATE_BODY_MAX_BYTES } from '../streams/plugin.ts';
import { INTERNAL_ERROR } from './describe.ts';

/** One request to the app; the answer must be `{"error": <reason>}` JSON with `status`. */
async function expectError(
  app: FastifyInstance,
  request: InjectOptions,
  status: number,
  reason: string | RegExp,
): Promise<void> {
  const res = await app.inject(request);
  const what = `${request.method ?? 'GET'} ${request.url}`;
  assert.equal(res.statusCode, status, `${what}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, what);
  const body = res.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['error'], what);
  if (typeof reason === 'string') assert.equal(body.error, reason, what);
  else assert.match(String(body.error), reason, what);
}

const json = { 'content-type': 'application/json' };

test("each of Fastify's own client errors on an API path answers {error} with its status", async (t) => {
  const app = await build(t);
  const post = { method: 'POST' as const, url: '/api/streams' };
  await expectError(
    app,
    { ...post, payload: { title: 'x'.repeat(CREATE_BODY_MAX_BYTES), creator: 'a' } },
    413,
    `the request body is larger than ${CREATE_BODY_MAX_BYTES} bytes`,
  );
  await expectError(
    app,
    { ...post, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'title=x' },
    415,
    'unsupported content type: send application/json',
  );
  await expectError(app, { ...post, headers: json, payload: '{"title":' }, 400, 'the body is not valid JSON');
  await expectError(
    app,
    { ...post, headers: json, payload: '{"__proto__":{"x":1},"title":"t","creator":"c"}' },
    400,
    'the body is not valid JSON',
  );
  await expectError(app, { ...post, headers: json, payload: '' }, 400, 'the body is empty: send a JSON object');
  await expectError(
    app,
    { ...post, headers: { ...json, 'content-length': '100' }, payload: '{"title":"t","creator":"c"}' },
    400,
    'the body does not match its content-length',
  );
  await expectError(app, { ...post, payload: {} }, 400, 'title is required (a string)');
  await expectError(app, { url: '/api/streams/%E0%A4%A' }, 400, 'the URL is malformed (bad percent-encoding)');
  await expectError(app, { url: `/api/streams/${'x'.repeat(101)}` }, 414, 'a path segment of the URL is too long');
  // A socket path without the upgrade: the same schema answer the handshake gets.
  await expectError(app, { url: '/ws/watch/not-an-id' }, 400, /^id must match /);
});

test('unknown API and socket routes, and unknown methods on known ones, are JSON 404s', async (t) => {
  const app = await build(t);
  await expectError(app, { url: '/api/nope' }, 404, 'no such endpoint: GET /api/nope');
  await expectError(app, { method: 'DELETE', url: '/api/streams' }, 404, 'no such endpoint: DELETE /api/streams');
  await expectError(app, { method: 'PUT', url: '/ws/watch/x' }, 404, 'no such endpoint: PUT /ws/watch/x');
  await expectError(
    app,
    { url: '/api/nope', headers: { accept: 'text/html' } },
    404,
    'no such endpoint: GET /api/nope',
  );
});

test('a real failure is a 500 that says "internal error" and nothing more; the log has the details', async (t) => {
  const capture = logCapture();
  const app = await build(t, { server: { logLevel: 'info' } }, { logStream: capture });
  app.get('/api/boom', async () => {
    throw new Error('secret detail');
  });
  app.get('/boom', async () => {
    throw new Error('secret detail');
  });
  await expectError(app, { url: '/api/boom' }, 500, INTERNAL_ERROR);
  assert.ok(
    capture.lines.some(
      (l) => l.level === 50 && (l.err as { message?: string } | undefined)?.message === 'secret detail',
    ),
    'logged at error level with the error',
  );

  const page = await app.inject({ url: '/boom', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 500);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /Something went wrong/);
  assert.doesNotMatch(page.body, /secret/);
});

test('a page a browser opens gets the HTML error page: a malformed URL', async (t) => {
  const app = await build(t);
  const res = await app.inject({ url: '/watch/%E0%A4%A', headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(res.statusCode, 400);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.match(res.body, /role="alert">the URL is malformed/);
});

test('a request Node cannot parse gets a JSON 400 on the socket', async (t) => {
  const app = await build(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
  const [head, body] = answer.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(head!, /content-type: application\/json/i);
  assert.deepEqual(JSON.parse(body!), { error: 'malformed HTTP request' });
});

test('the private peer API answers in the same shape', async (t) => {
  const api = await buildPeerApi({
    log: (await build(t)).log,
    maxSnapshotBytes: 64,
    snapshot: () => ({ machineId: 'aaaaaaaaaaaaaa', region: 'ams', bootId: 'b', version: 1, streams: [] }),
    snapshotRules: () => ({ nowMs: Date.now(), maxStreams: 50, maxViewersPerStream: 1000, clockSkewMs: 60_000 }),
    verifySender: async () => 'ok',
    receive: () => 'applied',
    maxMachines: 10,
    authorize: async () => true,
  });
  t.after(() => api.close());
  await expectError(
    api,
    { method: 'POST', url: SNAPSHOT_PATH, headers: json, payload: JSON.stringify({ pad: 'x'.repeat(100) }) },
    413,
    'the request body is larger than 64 bytes',
  );
  await expectError(
    api,
    { method: 'POST', url: SNAPSHOT_PATH, headers: json, payload: '{' },
    400,
    'the body is not valid JSON',
  );
  await expectError(api, { url: '/internal/nope' }, 404, 'no such endpoint: GET /internal/nope');
});
