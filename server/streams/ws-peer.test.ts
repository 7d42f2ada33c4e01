import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { frameBinary } from './ws-frame.ts';
import { WsPeer } from './ws-peer.ts';

test('frameBinary: one buffer, the header ws would write, at each length boundary', () => {
  // [payload bytes, header bytes]: 7-bit length up to 125, 16-bit up to 65535, 64-bit beyond (RFC 6455 5.2).
  const rows: Array<[number, number]> = [
    [0, 2],
    [125, 2],
    [126, 4],
    [65_535, 4],
    [65_536, 10],
  ];
  for (const [bytes, headerBytes] of rows) {
    const payload = new Uint8Array(bytes).map((_, i) => i % 251);
    const { data, wire } = frameBinary(payload);
    assert.equal(wire.length, headerBytes + bytes, `${bytes} bytes`);
    assert.equal(wire[0], 0x82, 'FIN + binary opcode');
    assert.equal(wire[1]! & 0x80, 0, 'a server frame is not masked');
    assert.ok(data.equals(payload), `${bytes} bytes: payload kept`);
    assert.equal(data.buffer, wire.buffer, 'data is a view into the framed buffer, not a second copy');
  }
});

test('frameBinary does not pin a larger buffer the payload was a view into', () => {
  const receive = new Uint8Array(64 * 1024);
  const { wire } = frameBinary(receive.subarray(100, 200));
  assert.equal(wire.buffer.byteLength, 102);
});

/** A ws server on loopback whose connections are handed to `onPeer`, and a client that records what it got. */
async function pair(perMessageDeflate: boolean) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await once(wss, 'listening');
  const peerReady = once(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate });
  const got: string[] = [];
  client.on('message', (data, isBinary) => got.push(isBinary ? `bin:${(data as Buffer).toString()}` : `txt:${data}`));
  const clientClosed = once(client, 'close');
  const [socket] = (await peerReady) as [WebSocket];
  await once(client, 'open');
  const close = async () => {
    client.terminate();
    for (const s of wss.clients) s.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  return { peer: new WsPeer(socket), got, clientClosed, close };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
};

for (const deflate of [false, true]) {
  test(`WsPeer keeps the order of text and framed binary messages (permessage-deflate ${deflate ? 'on' : 'off'})`, async () => {
    const { peer, got, close } = await pair(deflate);
    try {
      const a = frameBinary(Buffer.from('frame-a'));
      const b = frameBinary(Buffer.from('frame-b'));
      // With deflate, ws compresses text asynchronously and queues what follows: a framed buffer written
      // straight to the socket would overtake it, so the peer must fall back to ws's own send there.
      peer.sendText('hello '.repeat(200));
      peer.sendBinary(a.data, a.wire);
      peer.sendText('chat');
      peer.sendBinary(b.data, b.wire);
      peer.sendBinary(Buffer.from('unframed'));
      await until(() => got.length === 5);
      assert.deepEqual(got, [`txt:${'hello '.repeat(200)}`, 'bin:frame-a', 'txt:chat', 'bin:frame-b', 'bin:unframed']);
    } finally {
      await close();
    }
  });
}

test('WsPeer: a framed write counts in bufferedAmount, and nothing is sent after close', async () => {
  const { peer, got, clientClosed, close } = await pair(false);
  try {
    const big = frameBinary(new Uint8Array(8 * 1024 * 1024));
    peer.sendBinary(big.data, big.wire);
    // 8 MB does not fit in the kernel's socket buffers at once: the rest waits in user space, where the
    // slow-viewer rule reads it.
    assert.ok(peer.bufferedAmount > 0, `bufferedAmount ${peer.bufferedAmount}`);
    await until(() => got.length === 1);
    peer.close(1000, 'bye');
    const after = frameBinary(Buffer.from('late'));
    peer.sendBinary(after.data, after.wire);
    // Anything sent after the close frame would reach the client before the close does.
    await clientClosed;
    assert.equal(got.length, 1);
  } finally {
    await close();
  }
});
