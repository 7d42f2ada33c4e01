import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { PeerFetch } from '../directory/peer-link.ts';
import type { HoldState } from '../streams/source.ts';
import {
  askHolder,
  HOLDER_ANSWER_MAX_BYTES,
  HOLDER_PATH,
  HOLDER_TIMEOUT_MS,
  type HolderAnswer,
  holderRoutes,
  readHolderAnswer,
} from './holder.ts';

const ID = '01J9ZZZZZZZZZZZZZZZZZZZZZZ';

test("a peer's answer about a stream: held live or moving, not held, or no opinion", () => {
  const rows: Array<[string, number, string, HolderAnswer]> = [
    ['held', 200, JSON.stringify({ id: ID, held: 'live' }), 'live'],
    ['going away', 200, JSON.stringify({ id: ID, held: 'moving' }), 'moving'],
    ['not here', 404, '{"error":"no such stream on this Machine"}', 'not-held'],
    ['another stream named', 200, JSON.stringify({ id: `${ID.slice(0, 25)}Y`, held: 'live' }), 'unreachable'],
    ['an unknown state', 200, JSON.stringify({ id: ID, held: 'maybe' }), 'unreachable'],
    ['not JSON', 200, 'held', 'unreachable'],
    ['refused (not a Machine of the app)', 403, '{"error":"x"}', 'unreachable'],
    ['its own failure', 500, '{"error":"internal error"}', 'unreachable'],
  ];
  for (const [what, status, body, expected] of rows)
    assert.equal(
      readHolderAnswer(
        { status, etag: undefined, contentType: 'application/json', body, bytes: Buffer.from(body) },
        ID,
      ),
      expected,
      what,
    );
});

test('the peer route: held live or moving, 404 when not here, 400 for an id that is not a ULID', async (t) => {
  const api = Fastify();
  t.after(() => api.close());
  const held = new Map<string, HoldState>([[ID, 'moving']]);
  await api.register(holderRoutes((id) => held.get(id) ?? null));
  const get = (id: string) => api.inject(`${HOLDER_PATH}${id}`);
  const moving = await get(ID);
  assert.equal(moving.statusCode, 200);
  assert.deepEqual(moving.json(), { id: ID, held: 'moving' });
  held.set(ID, 'live');
  assert.deepEqual((await get(ID)).json(), { id: ID, held: 'live' });
  assert.equal((await get(`${ID.slice(0, 25)}Y`)).statusCode, 404);
  assert.equal((await get('not-a-stream')).statusCode, 400);
});

test('askHolder: the answer read, bounded in time and size; a failed request is no opinion', async () => {
  const asked: Array<[string, string, PeerFetch]> = [];
  const answer = await askHolder(
    async (machineId, path, opts) => {
      asked.push([machineId, path, opts]);
      const body = JSON.stringify({ id: ID, held: 'live' });
      return { status: 200, etag: undefined, contentType: 'application/json', body, bytes: Buffer.from(body) };
    },
    'aaaaaaaaaaaaaa',
    ID,
  );
  assert.equal(answer, 'live');
  assert.deepEqual(asked, [
    [
      'aaaaaaaaaaaaaa',
      `${HOLDER_PATH}${ID}`,
      { timeoutMs: HOLDER_TIMEOUT_MS, maxResponseBytes: HOLDER_ANSWER_MAX_BYTES },
    ],
  ]);
  const failed = await askHolder(
    async () => {
      throw new Error('connect ECONNREFUSED');
    },
    'aaaaaaaaaaaaaa',
    ID,
  );
  assert.equal(failed, 'unreachable');
});
