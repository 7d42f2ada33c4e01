import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { encodeControl, encodeFrame, TRACK_VIDEO } from '../../shared/protocol.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { FanOut } from './fan-out.ts';
import { newCounters } from './relay-counters.ts';
import type { RelayLimits } from './relay-limits.ts';
import { ViewerSession } from './viewer-session.ts';

const limits: RelayLimits = {
  maxFrameBytes: 2000,
  maxAudioFrameBytes: 500,
  gopMaxFrames: 100,
  gopMaxBytes: 100_000,
  viewerMaxBacklogBytes: 50_000,
  viewerMaxLagMs: 2000,
  slowViewerCloseMs: 10_000,
  keyframeRequestIntervalMs: 0,
  viewerCountIntervalMs: 1000,
  publishGraceMs: 15_000,
  publishStartTimeoutMs: 60_000,
  wsMaxBadMessages: 10,
  wsBadMessageWindowMs: 10_000,
};

function setup() {
  const clock = new FakeClock();
  let keyframeAsks = 0;
  const host = {
    id: '01J0000000000000000000000A',
    limits,
    counters: newCounters(),
    log: pino({ level: 'silent' }),
    now: () => clock.now(),
    requestKeyframe: () => void keyframeAsks++,
    removeViewer: () => {},
    chat: () => {},
  };
  const fanOut = new FanOut(host);
  const deliver = (keyframe: boolean, timestampUs: number) => {
    const data = encodeFrame({ keyframe, timestampUs, payload: new Uint8Array(100) });
    fanOut.deliver(data, keyframe, timestampUs, TRACK_VIDEO);
    return data;
  };
  const peer = new FakePeer();
  const viewer = new ViewerSession(peer, host);
  fanOut.admit(viewer, () => '{"type":"hello"}');
  return { clock, fanOut, deliver, peer, viewer, keyframeAsks: () => keyframeAsks };
}

test('after resync (frames lost on the way) a viewer waits for the next keyframe and is not judged by acks from before the gap', () => {
  const { clock, fanOut, deliver, peer, viewer, keyframeAsks } = setup();
  deliver(true, 0);
  deliver(false, 33_000);
  viewer.onText(encodeControl({ type: 'ack', timestampUs: 33_000 }));
  assert.equal(peer.binaries.length, 2);

  // Ten seconds of frames never arrived (a relay's NATS link was down).
  fanOut.resync();
  clock.advance(10_000);
  deliver(false, 10_000_000);
  assert.equal(peer.binaries.length, 2, 'a delta after the gap is not sent');
  assert.equal(keyframeAsks(), 1, 'it asks for a keyframe');
  const keyframe = deliver(true, 10_033_000);
  const next = deliver(false, 10_066_000);
  assert.deepEqual(peer.binaries.slice(2).map(Buffer.from), [Buffer.from(keyframe), Buffer.from(next)]);
  assert.equal(viewer.behind, false, 'the gap is not the viewer falling behind');
});
