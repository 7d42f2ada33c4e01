import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { WsPeer } from '../../server/streams/ws-peer.ts';
import { encodeFrame } from '../../shared/protocol.ts';
import { waitFor } from '../../test/support/nats.ts';
import { homeStream } from '../relay/home-stream.ts';
import { AT, CountingViewer, IDS, silent, startEngine } from './cluster.ts';

/**
 * The home Machine of bench/relay-home, alone in its process so its CPU is its own: its RelayEngine
 * (nats-server child), the stream with its publisher (30 fps x 10 KB, from here), HomeLinks and its
 * direct in-process viewers. run.ts sets the number of direct viewers over IPC: `{type: 'viewers', n}`.
 */
const FPS = 30;
const FRAME_BYTES = 10 * 1024;
const KEYFRAME_EVERY = 30;
/** Bounded: the process exits after this long whatever happens to run.ts. */
const MAX_LIFE_MS = 10 * 60_000;

const secret = process.env.BENCH_SECRET;
if (secret === undefined) throw new Error('BENCH_SECRET is required');
const home = startEngine(IDS.dfw, 'dfw', AT.dfw, secret);
await waitFor('the home nats-server', () => home.status() === 'ok', 30_000, 100);
const { stream, publisher, links } = homeStream(home, IDS.dfw, silent);

let seq = 0;
const start = performance.now();
const payload = new Uint8Array(FRAME_BYTES);
const tick = () => {
  publisher.onBinary(
    encodeFrame({ keyframe: seq % KEYFRAME_EVERY === 0, timestampUs: 1_000_000 + seq * 33_333, payload }),
  );
  seq++;
  if (performance.now() - start > MAX_LIFE_MS) return void shutdown();
  timer = setTimeout(tick, Math.max(0, start + (seq * 1000) / FPS - performance.now()));
};
let timer = setTimeout(tick, 0);

const viewers: CountingViewer[] = [];
async function shutdown(): Promise<void> {
  clearTimeout(timer);
  links.closeAll();
  await home.stop();
  process.exit(0);
}

process.on('message', (msg: { type: string; n?: number }) => {
  if (msg.type === 'viewers') {
    while (viewers.length < msg.n!) {
      const v = new CountingViewer();
      v.session = stream.addViewer(v);
      assert.ok(v.session !== null);
      viewers.push(v);
    }
    while (viewers.length > msg.n!) viewers.pop()!.session!.onClose();
    process.send!({ type: 'viewers', n: viewers.length, frames: viewers.reduce((a, v) => a + v.frames, 0) });
  } else if (msg.type === 'nats') {
    // The home's own NATS client: what its Node process sent and received (nats.js counters).
    const stats = home.connection()?.stats();
    process.send!({ type: 'nats', inMsgs: stats?.inMsgs ?? 0, outMsgs: stats?.outMsgs ?? 0 });
  } else if (msg.type === 'close') {
    void shutdown();
  }
});
process.on('disconnect', () => void shutdown());
// BENCH_DIRECT_WS=1: the direct viewers are real WebSocket clients (run.ts opens them), so a viewer's
// cost includes its socket writes, as on a Machine.
let wsPort: number | undefined;
if (process.env.BENCH_DIRECT_WS === '1') {
  const wss = new WebSocketServer({ host: AT.dfw, port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wsPort = (wss.address() as AddressInfo).port;
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    // The app's own peer: each frame framed once and written to every socket as is.
    const session = stream.addViewer(new WsPeer(ws));
    if (session === null) return void ws.close(1013, 'refused');
    ws.on('message', (data, isBinary) => {
      if (!isBinary) session.onText(data.toString());
    });
    ws.on('close', () => session.onClose());
  });
}
process.send!({ type: 'ready', streamId: stream.id, wsPort });
