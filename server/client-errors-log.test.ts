import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import { build, logCapture, SELF_ID } from '../test/support/app.ts';
import { buildPeerApi, SNAPSHOT_PATH } from './directory/peer-api.ts';
import { socketErrorKind } from './streams/socket-errors.ts';

/** pino levels: 30 info, 40 warn, 50 error. */
const WARN = 40;

/** Lines about requests (they carry Fastify's reqId) at warn or above: what a client could make us write. */
const loudRequestLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => (l.level as number) >= WARN && l.reqId !== undefined);

const kinds: Array<[string | undefined, ReturnType<typeof socketErrorKind>]> = [
  ['WS_ERR_INVALID_UTF8', 'protocol'],
  ['WS_ERR_EXPECTED_MASK', 'protocol'],
  ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'protocol'],
  ['WS_ERR_INVALID_CLOSE_CODE', 'protocol'],
  ['ECONNRESET', 'gone'],
  ['EPIPE', 'gone'],
  ['ERR_STREAM_PREMATURE_CLOSE', 'gone'],
  ['ERR_INVALID_ARG_TYPE', 'server'],
  [undefined, 'server'],
];
for (const [code, kind] of kinds) {
  test(`a socket error with code ${code} is a ${kind} error`, () => {
    assert.equal(socketErrorKind({ code }), kind);
  });
}

/** A masked client frame (RFC 6455 5.2) with a zero mask, or an unmasked one. */
function frame(opcode: number, payload: Buffer, masked = true, declaredLength = payload.length): Buffer {
  const head =
    declaredLength < 126
      ? Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | declaredLength])
      : Buffer.concat([Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | 127]), bigLength(declaredLength)]);
  return Buffer.concat([head, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

const violations: Array<[string, Buffer, number, string]> = [
  ['bad UTF-8 in a text frame', frame(0x1, Buffer.from([0xc3, 0x28])), 1007, 'WS_ERR_INVALID_UTF8'],
  ['an unmasked frame', frame(0x1, Buffer.from('hi'), false), 1002, 'WS_ERR_EXPECTED_MASK'],
  ['an oversized frame', frame(0x2, Buffer.alloc(0), true, 2 ** 40), 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
];

async function listening(t: TestContext) {
  const capture = logCapture();
  const app = await build(t, { server: { logLevel: 'debug' }, directory: { internalPort: 0 } }, { logStream: capture });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, capture, port: (app.server.address() as AddressInfo).port };
}

for (const [name, bytes, closeCode, errorCode] of violations) {
  test(`${name} on a watch socket is closed with ${closeCode} and logged in one line without a stack`, async (t) => {
    const { app, capture, port } = await listening(t);
    const created = app.streams.create({ title: 'Target', creator: 'alice' });
    assert.ok(created.ok);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/watch/${created.stream.id}?instance=${SELF_ID}`);
    ws.on('error', () => undefined);
    await once(ws, 'open');
    const closed = once(ws, 'close') as Promise<[number]>;
    // Past the client library, straight onto the connection.
    (ws as unknown as { _socket: net.Socket })._socket.write(bytes);
    const [code] = await closed;
    assert.equal(code, closeCode);
    const line = capture.lines.find((l) => l.code === errorCode);
    assert.ok(line, `a line with ${errorCode}: ${JSON.stringify(capture.lines.slice(-3))}`);
    assert.equal(line.level, 30);
    assert.equal(line.err, undefined, 'no error object, so no stack');
    assert.deepEqual(loudRequestLines(capture.lines), []);
  });
}

test('a request Node cannot parse is logged at debug, without a stack', async (t) => {
  const { capture, port } = await listening(t);
  const socket = net.createConnection({ host: '127.0.0.1', port });
  socket.on('data', () => undefined);
  socket.write('GARBAGE\r\n\r\n');
  await once(socket, 'close');
  const line = capture.lines.find((l) => l.msg === 'client error');
  assert.ok(line);
  assert.equal(line.level, 20);
  assert.equal(line.err, undefined);
  assert.deepEqual(
    capture.lines.filter((l) => (l.level as number) >= WARN && l.msg === 'client error'),
    [],
  );
});

test('calls the peer API refuses are logged at debug only', async (t) => {
  const capture = logCapture();
  const app = await build(t, { server: { logLevel: 'debug' } }, { logStream: capture });
  let refusals = 0;
  const api = await buildPeerApi({
    log: app.log,
    maxSnapshotBytes: 1024,
    snapshot: () => ({ machineId: 'aaaaaaaaaaaaaa', region: 'ams', bootId: 'b', version: 1, streams: [] }),
    receive: () => 'applied',
    authorize: async () => false,
    snapshotRules: () => ({ nowMs: Date.now(), maxStreams: 50, maxViewersPerStream: 1_000_000, clockSkewMs: 60_000 }),
    verifySender: async () => 'ok',
    maxMachines: 1000,
    onRefused: () => {
      refusals++;
    },
  });
  t.after(() => api.close());
  for (let i = 0; i < 20; i++) {
    const res = await api.inject({ url: SNAPSHOT_PATH });
    assert.equal(res.statusCode, 403);
  }
  assert.equal(refusals, 20);
  const refused = capture.lines.filter((l) => String(l.msg).includes('refused a caller'));
  assert.equal(refused.length, 20);
  assert.ok(refused.every((l) => l.level === 20));
});
