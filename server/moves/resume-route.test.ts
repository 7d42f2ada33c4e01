import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { encodeTime } from 'ulid';
import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import { build, logCapture, SELF_ID } from '../../test/support/app.ts';
import { PublishTokens } from '../streams/tokens.ts';

const SECRET = 'resume-route-test-secret-0123456789';
/** A stream made elsewhere an hour ago, by another Machine with the same secret. */
const CREATED_MS = Date.now() - 3_600_000;
const ID = `${encodeTime(CREATED_MS, 10)}ABCDEFGHJKMNPQRS`;
const TOKEN = PublishTokens.from(SECRET).issue(ID);

const body = (patch: Record<string, unknown> = {}) => ({
  token: TOKEN,
  title: 'Morning run',
  creator: 'alice',
  startedAt: CREATED_MS + 1000,
  epoch: 0,
  chatSeq: 4,
  ...patch,
});

const resume = (app: FastifyInstance, payload: object, id = ID) =>
  app.inject({ method: 'POST', url: `/api/streams/${id}/resume`, payload });

test('resume: a stream from another Machine is taken over at the next epoch, keeping its start', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const res = await resume(app, body({ epoch: 2, title: ' Morning run ' }));
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), {
    id: ID,
    machineId: SELF_ID,
    region: 'ams',
    epoch: 3,
    watchUrl: `/watch/${ID}?instance=${SELF_ID}`,
  });
  assert.equal(app.streams.holds(ID), 'live');
  // Listed once its publisher connects (it waits for it like a created stream); then its start is kept.
  assert.deepEqual(app.streams.list(), []);
});

test('resume: 401 for a wrong token, a token of another secret, or one of another stream; nothing is created', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const otherId = `${ID.slice(0, 25)}T`;
  for (const [what, payload] of [
    ['one character off', body({ token: `${TOKEN.slice(0, -1)}${TOKEN.endsWith('A') ? 'B' : 'A'}` })],
    ['another secret', body({ token: PublishTokens.from('x'.repeat(40)).issue(ID) })],
    ["another stream's token", body({ token: PublishTokens.from(SECRET).issue(otherId) })],
  ] as const) {
    const res = await resume(app, payload);
    assert.equal(res.statusCode, 401, what);
    assert.deepEqual(res.json(), { error: 'wrong publish token for this stream' }, what);
  }
  assert.equal(app.streams.holds(ID), null);
});

test('resume: 400 for a malformed id or body, naming the field and never echoing the token', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const rows: Array<[string, string, object, RegExp]> = [
    ['id not a ULID', 'not-a-stream-id', body(), /^id /],
    ['no token', ID, body({ token: undefined }), /token/],
    ['empty token', ID, body({ token: '' }), /token/],
    ['title with a control char', ID, body({ title: 'a\u0007b' }), /title/],
    ['negative epoch', ID, body({ epoch: -1 }), /epoch/],
    ['epoch over the bound', ID, body({ epoch: STREAM_EPOCH_MAX + 1 }), /epoch/],
    ['fractional chatSeq', ID, body({ chatSeq: 1.5 }), /chatSeq/],
    ['started before the stream was made', ID, body({ startedAt: CREATED_MS - 61_000 }), /startedAt/],
    ['started in the future', ID, body({ startedAt: Date.now() + 120_000 }), /startedAt/],
  ];
  for (const [what, id, payload, field] of rows) {
    const res = await resume(app, payload, id);
    assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
    const error = (res.json() as { error: string }).error;
    assert.match(error, field, what);
    assert.ok(!error.includes(TOKEN), `${what}: the token is not echoed`);
  }
  assert.equal(app.streams.holds(ID), null);
});

test('resume: the epoch after STREAM_EPOCH_MAX moves is refused', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const last = await resume(app, body({ epoch: STREAM_EPOCH_MAX - 1 }));
  assert.equal(last.statusCode, 200, last.body);
  assert.equal(last.json().epoch, STREAM_EPOCH_MAX);
  const other = await build(t, { streams: { streamSecret: SECRET } });
  const over = await resume(other, body({ epoch: STREAM_EPOCH_MAX }));
  assert.equal(over.statusCode, 409);
  assert.match(over.json().error, /moved 1000000 times/);
});

test('resume twice at once: one wins, the other gets 409 naming this Machine', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const answers = await Promise.all([resume(app, body()), resume(app, body())]);
  assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 409]);
  const refused = answers.find((r) => r.statusCode === 409)!.json();
  assert.equal(refused.machineId, SELF_ID);
  assert.equal(refused.region, 'ams');
  assert.match(refused.error, new RegExp(`live on Machine ${SELF_ID} \\(ams\\)`));
});

test('resume: a full Machine answers 503 with retry-after', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET, maxStreams: 1 } });
  const created = await app.inject({ method: 'POST', url: '/api/streams', payload: { title: 't', creator: 'c' } });
  assert.equal(created.statusCode, 201);
  const res = await resume(app, body());
  assert.equal(res.statusCode, 503);
  assert.ok(Number(res.headers['retry-after']) >= 1);
  assert.match(res.json().error, /maximum of 1 streams/);
});

test('resume ignores the fly-machine-id cookie: the Machine the request lands on takes the stream over', async (t) => {
  const app = await build(t, { streams: { streamSecret: SECRET } });
  const res = await app.inject({
    method: 'POST',
    url: `/api/streams/${ID}/resume`,
    payload: body(),
    cookies: { 'fly-machine-id': 'fedcba98765432' },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['fly-replay'], undefined);
});

test('resume: no log line carries the publish token, whatever the answer', async (t) => {
  const log = logCapture();
  const app = await build(t, { streams: { streamSecret: SECRET }, server: { logLevel: 'trace' } }, { logStream: log });
  for (const payload of [body(), body(), body({ token: `${TOKEN}x` }), body({ epoch: -1 })]) await resume(app, payload);
  assert.ok(log.lines.length > 0);
  const leaked = log.lines.filter((l) => JSON.stringify(l).includes(TOKEN));
  assert.deepEqual(leaked, []);
  assert.ok(
    log.lines.some((l) => l.msg === 'stream resumed here'),
    'the resume itself is logged',
  );
});
