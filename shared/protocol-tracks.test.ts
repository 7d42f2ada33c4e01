import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CloseCode,
  decodeFrame,
  encodeControl,
  encodeFrame,
  FRAME_HEADER_BYTES,
  PROTOCOL_VERSION,
  parsePublisherMessage,
  parseServerToPublisher,
  parseServerToViewer,
  protocolRefusal,
  TRACK_AUDIO,
  TRACK_MAX,
  TRACK_VIDEO,
  writeFrameHeader,
} from './protocol.ts';

test('frames carry their track in the high nibble of byte 1, beside the keyframe flag', () => {
  const cases: Array<[number, boolean, number]> = [
    [TRACK_VIDEO, true, 0x01],
    [TRACK_VIDEO, false, 0x00],
    [TRACK_AUDIO, false, 0x10],
    [TRACK_MAX, false, 0xf0],
    [7, true, 0x71],
  ];
  for (const [track, keyframe, byte1] of cases) {
    const bytes = encodeFrame({ track, keyframe, timestampUs: 1_234_567, payload: new Uint8Array([9, 9]) });
    assert.equal(bytes.byteLength, FRAME_HEADER_BYTES + 2);
    assert.equal(bytes[1], byte1, `track ${track}`);
    const decoded = decodeFrame(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
    assert.deepEqual(
      { track: decoded.value.track, keyframe: decoded.value.keyframe, ts: decoded.value.timestampUs },
      { track, keyframe, ts: 1_234_567 },
    );
  }
  // Without a track, a frame is video (what every video sender wrote before audio existed).
  assert.equal(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array(1) })[1], 0x01);
});

test('writeFrameHeader refuses a track the layout cannot carry', () => {
  const buf = new Uint8Array(FRAME_HEADER_BYTES + 1);
  for (const track of [-1, TRACK_MAX + 1, 1.5]) {
    assert.throws(() => writeFrameHeader(buf, false, 1, track), RangeError, String(track));
  }
  writeFrameHeader(buf, false, 1, TRACK_MAX);
  assert.equal(buf[1], 0xf0);
});

test('reserved bits 1-3 of byte 1 are refused whatever the track', () => {
  const good = encodeFrame({ track: TRACK_AUDIO, keyframe: false, timestampUs: 5, payload: new Uint8Array([1]) });
  for (const bit of [0x02, 0x04, 0x08]) {
    const b = good.slice();
    b[1] = b[1]! | bit;
    const r = decodeFrame(b);
    assert.equal(r.ok, false, `bit 0x${bit.toString(16)}`);
    if (!r.ok) assert.match(r.error, /flags/);
  }
});

test('audio-config from a publisher: a config, or null for "no audio"; bad ones refused naming the field', () => {
  const config = { codec: 'opus', sampleRate: 48000, numberOfChannels: 1, description: 'T3B1c0hlYWQBATgB' };
  assert.deepEqual(parsePublisherMessage(encodeControl({ type: 'audio-config', config })), {
    ok: true,
    value: { type: 'audio-config', config },
  });
  assert.deepEqual(parsePublisherMessage('{"type":"audio-config","config":null}'), {
    ok: true,
    value: { type: 'audio-config', config: null },
  });
  const refused: Array<[string, RegExp]> = [
    ['{"type":"audio-config"}', /audio config must be an object/],
    ['{"type":"audio-config","config":{"codec":"opus","sampleRate":0,"numberOfChannels":1}}', /sampleRate/],
    ['{"type":"audio-config","config":{"codec":"opus","sampleRate":48000,"numberOfChannels":9}}', /numberOfChannels/],
    ['{"type":"audio-config","config":{"codec":"","sampleRate":48000,"numberOfChannels":1}}', /codec/],
    [
      '{"type":"audio-config","config":{"codec":"opus","sampleRate":48000,"numberOfChannels":1,"description":"%%"}}',
      /description/,
    ],
  ];
  for (const [text, re] of refused) {
    const r = parsePublisherMessage(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.match(r.error, re, text);
  }
});

const stream = { id: 's', title: 't', creator: 'c', startedAt: 1, machineId: null, region: null };

test('a hello of another protocol version reads as a mismatch on both pages, whatever else it holds', () => {
  for (const serverVersion of [1, 2, 4, PROTOCOL_VERSION + 10]) {
    const viewer = parseServerToViewer(
      JSON.stringify({ type: 'hello', role: 'viewer', protocolVersion: serverVersion }),
    );
    assert.deepEqual(viewer, { ok: true, value: { type: 'protocol-mismatch', serverVersion } });
    const publisher = parseServerToPublisher(
      JSON.stringify({ type: 'hello', role: 'publisher', protocolVersion: serverVersion, stream }),
    );
    assert.deepEqual(publisher, { ok: true, value: { type: 'protocol-mismatch', serverVersion } });
  }
  // The right version with broken fields is a malformed hello, not a mismatch.
  const broken = parseServerToViewer(
    JSON.stringify({ type: 'hello', role: 'viewer', protocolVersion: PROTOCOL_VERSION }),
  );
  assert.equal(broken.ok, false);
});

test('protocolRefusal: absent or this version goes on; anything else is refused with a reason naming both', () => {
  assert.equal(protocolRefusal(undefined), null);
  assert.equal(protocolRefusal(String(PROTOCOL_VERSION)), null);
  const refused: Array<[unknown, RegExp]> = [
    ['1', /"1".*speaks 3/],
    ['2', /"2".*speaks 3/],
    ['4', /"4".*speaks 3/],
    ['', /""/],
    ['x'.repeat(500), /"x{12}"/],
    [['3', '3'], /several values/],
  ];
  for (const [value, re] of refused) {
    const reason = protocolRefusal(value);
    assert.ok(reason !== null, JSON.stringify(value));
    assert.match(reason, re);
    // A WebSocket close reason is at most 123 bytes.
    assert.ok(new TextEncoder().encode(reason).byteLength <= 123, reason);
  }
  assert.equal(CloseCode.protocolMismatch, 4010);
});
