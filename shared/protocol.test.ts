import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  base64ToBytes,
  bytesToBase64,
  CHAT_MAX_CHARS,
  CHAT_NAME_MAX_CHARS,
  decodeFrame,
  encodeControl,
  encodeFrame,
  FRAME_HEADER_BYTES,
  PROTOCOL_VERSION,
  parseDecoderConfig,
  parsePublisherMessage,
  parseServerToPublisher,
  parseServerToViewer,
  parseViewerMessage,
  peekFrameHeader,
  type ServerToPublisher,
  type ServerToViewer,
  STREAM_EPOCH_MAX,
  writeFrameHeader,
} from './protocol.ts';

test('frames round-trip keyframe flag, microsecond timestamp and payload', () => {
  const cases = [
    { keyframe: true, timestampUs: 0, payload: new Uint8Array([1]) },
    { keyframe: false, timestampUs: 33_333, payload: new Uint8Array([9, 8, 7]) },
    { keyframe: true, timestampUs: 2 ** 32, payload: new Uint8Array(1000).fill(5) },
    { keyframe: false, timestampUs: Date.now() * 1000, payload: new Uint8Array([0]) },
    { keyframe: false, timestampUs: Number.MAX_SAFE_INTEGER, payload: new Uint8Array([255]) },
  ];
  for (const frame of cases) {
    const bytes = encodeFrame(frame);
    assert.equal(bytes.byteLength, FRAME_HEADER_BYTES + frame.payload.byteLength);
    assert.equal(bytes[0], PROTOCOL_VERSION);
    const decoded = decodeFrame(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
    assert.equal(decoded.value.keyframe, frame.keyframe);
    assert.equal(decoded.value.timestampUs, frame.timestampUs);
    assert.deepEqual([...decoded.value.payload], [...frame.payload]);
    assert.deepEqual(peekFrameHeader(bytes), { keyframe: frame.keyframe, timestampUs: frame.timestampUs });
    // An ArrayBuffer (what a browser WebSocket delivers) decodes the same.
    const fromBuffer = decodeFrame(bytes.slice().buffer);
    assert.ok(fromBuffer.ok);
    assert.equal(fromBuffer.value.timestampUs, frame.timestampUs);
  }
});

test('decodeFrame works on a view with a non-zero byteOffset', () => {
  const inner = encodeFrame({ keyframe: true, timestampUs: 123_456, payload: new Uint8Array([4, 2]) });
  const big = new Uint8Array(inner.byteLength + 7);
  big.set(inner, 7);
  const decoded = decodeFrame(big.subarray(7));
  assert.ok(decoded.ok);
  assert.equal(decoded.value.timestampUs, 123_456);
  assert.deepEqual([...decoded.value.payload], [4, 2]);
});

test('writeFrameHeader writes the same header as encodeFrame', () => {
  const buf = new Uint8Array(FRAME_HEADER_BYTES + 2);
  writeFrameHeader(buf, true, 987_654_321_012);
  const expected = encodeFrame({ keyframe: true, timestampUs: 987_654_321_012, payload: new Uint8Array(2) });
  assert.deepEqual([...buf.subarray(0, FRAME_HEADER_BYTES)], [...expected.subarray(0, FRAME_HEADER_BYTES)]);
});

test('encodeFrame refuses timestamps it cannot represent', () => {
  assert.throws(() => encodeFrame({ keyframe: false, timestampUs: -1, payload: new Uint8Array(1) }), RangeError);
  assert.throws(() => encodeFrame({ keyframe: false, timestampUs: 1.5, payload: new Uint8Array(1) }), RangeError);
});

test('malformed frames give a clear error, never a throw', () => {
  const good = encodeFrame({ keyframe: true, timestampUs: 5, payload: new Uint8Array([1]) });
  const withByte = (i: number, v: number) => {
    const b = good.slice();
    b[i] = v;
    return b;
  };
  const cases: Array<[string, unknown, RegExp]> = [
    ['empty', new Uint8Array(0), /header/],
    ['header only', good.subarray(0, FRAME_HEADER_BYTES), /payload/],
    ['one byte short of header', good.subarray(0, FRAME_HEADER_BYTES - 1), /header/],
    ['the previous version', withByte(0, 2), /version 2 \(expected 3\)/],
    ['the first version', withByte(0, 1), /version 1/],
    ['a later version', withByte(0, 4), /version 4/],
    ['version zero', withByte(0, 0), /version 0/],
    ['reserved flag', withByte(1, 0x03), /flags/],
    ['timestamp beyond 2^53', withByte(2, 0xff), /2\^53/],
    ['a string', 'hello', /binary/],
    ['null', null, /binary/],
  ];
  for (const [name, input, re] of cases) {
    const result = decodeFrame(input as Uint8Array);
    assert.equal(result.ok, false, name);
    if (!result.ok) assert.match(result.error, re, name);
  }
  // Random garbage never throws.
  for (let i = 0; i < 500; i++) {
    const junk = new Uint8Array(Math.floor(Math.random() * 40));
    for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
    const r = decodeFrame(junk);
    assert.equal(typeof r.ok, 'boolean');
  }
});

test('decoder configs: accepted and refused, each edge', () => {
  const accepted = [
    { codec: 'vp8', codedWidth: 320, codedHeight: 180 },
    { codec: 'avc1.42001f', codedWidth: 1, codedHeight: 8192, description: 'AQID' },
    { codec: 'vp09.00.10.08', codedWidth: 8192, codedHeight: 1 },
  ];
  for (const c of accepted) assert.deepEqual(parseDecoderConfig(c), { ok: true, value: c });
  const refused: unknown[] = [
    null,
    'vp8',
    {},
    { codec: '', codedWidth: 1, codedHeight: 1 },
    { codec: 'v'.repeat(101), codedWidth: 1, codedHeight: 1 },
    { codec: 'vp8<script>', codedWidth: 1, codedHeight: 1 },
    { codec: 'vp8', codedWidth: 0, codedHeight: 1 },
    { codec: 'vp8', codedWidth: 8193, codedHeight: 1 },
    { codec: 'vp8', codedWidth: 1.5, codedHeight: 1 },
    { codec: 'vp8', codedWidth: 1, codedHeight: '1' },
    { codec: 'vp8', codedWidth: 1, codedHeight: 1, description: 'not base64!' },
    { codec: 'vp8', codedWidth: 1, codedHeight: 1, description: 42 },
  ];
  for (const c of refused) assert.equal(parseDecoderConfig(c).ok, false, JSON.stringify(c));
});

test('publisher messages parse, and bad ones are refused with a reason', () => {
  assert.deepEqual(parsePublisherMessage('{"type":"stop"}'), { ok: true, value: { type: 'stop' } });
  assert.deepEqual(
    parsePublisherMessage(
      encodeControl({ type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } }),
    ),
    {
      ok: true,
      value: { type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } },
    },
  );
  assert.deepEqual(parsePublisherMessage('{"type":"chat","text":"  hi  "}'), {
    ok: true,
    value: { type: 'chat', text: 'hi' },
  });
  const bad: Array<[unknown, RegExp]> = [
    ['not json', /JSON/],
    ['[1,2]', /object/],
    ['null', /object/],
    ['{"kind":"stop"}', /type/],
    ['{"type":"ack","timestampUs":1}', /unknown publisher message type "ack"/],
    ['{"type":"config"}', /config must be an object/],
    [new Uint8Array(3), /text/],
    ['x'.repeat(200_000), /longer than/],
  ];
  for (const [input, re] of bad) {
    const r = parsePublisherMessage(input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, re);
  }
});

test('viewer messages: ack, keyframe request, chat with its limits at the edges', () => {
  assert.deepEqual(parseViewerMessage('{"type":"ack","timestampUs":12345}'), {
    ok: true,
    value: { type: 'ack', timestampUs: 12345 },
  });
  assert.deepEqual(parseViewerMessage('{"type":"keyframe-request"}'), {
    ok: true,
    value: { type: 'keyframe-request' },
  });
  for (const ts of [-1, 1.5, '5', null])
    assert.equal(parseViewerMessage(JSON.stringify({ type: 'ack', timestampUs: ts })).ok, false);

  const atLimit = 'a'.repeat(CHAT_MAX_CHARS);
  assert.deepEqual(parseViewerMessage(JSON.stringify({ type: 'chat', text: atLimit })), {
    ok: true,
    value: { type: 'chat', text: atLimit },
  });
  const over = parseViewerMessage(JSON.stringify({ type: 'chat', text: `${atLimit}a` }));
  assert.equal(over.ok, false);
  if (!over.ok) assert.match(over.error, /longer than 500/);
  assert.equal(parseViewerMessage('{"type":"chat","text":"   "}').ok, false);
  assert.equal(parseViewerMessage('{"type":"chat","text":5}').ok, false);

  const name = 'n'.repeat(CHAT_NAME_MAX_CHARS);
  assert.deepEqual(parseViewerMessage(JSON.stringify({ type: 'chat', text: 'x', name })), {
    ok: true,
    value: { type: 'chat', text: 'x', name },
  });
  assert.equal(parseViewerMessage(JSON.stringify({ type: 'chat', text: 'x', name: `${name}n` })).ok, false);
  assert.equal(parseViewerMessage(JSON.stringify({ type: 'chat', text: 'x', name: ' ' })).ok, false);
  assert.equal(parseViewerMessage('{"type":"stop"}').ok, false);
});

const stream = {
  id: '01J0000000000000000000000A',
  title: 't',
  creator: 'c',
  startedAt: 1,
  machineId: '0123456789abcd',
  region: 'ams',
  epoch: 2,
};

test('server-to-viewer messages round-trip through encodeControl and parse', () => {
  const messages: ServerToViewer[] = [
    {
      type: 'hello',
      role: 'viewer',
      protocolVersion: PROTOCOL_VERSION,
      machineId: '0123456789abcd',
      region: 'ams',
      stream,
      config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 },
      audioConfig: { codec: 'opus', sampleRate: 48000, numberOfChannels: 1, description: 'T3B1c0hlYWQ=' },
      viewers: 3,
      publisherConnected: true,
      chat: [{ seq: 1, name: 'a', text: 'hi', at: 5, role: 'viewer' }],
    },
    {
      type: 'hello',
      role: 'viewer',
      protocolVersion: PROTOCOL_VERSION,
      machineId: null,
      region: null,
      stream: { ...stream, machineId: null, region: null },
      config: null,
      audioConfig: null,
      viewers: 0,
      publisherConnected: false,
      chat: [],
    },
    { type: 'config', config: { codec: 'vp8', codedWidth: 640, codedHeight: 360, description: 'AAAA' } },
    { type: 'audio-config', config: { codec: 'opus', sampleRate: 48000, numberOfChannels: 2 } },
    { type: 'audio-config', config: null },
    { type: 'viewers', count: 7 },
    { type: 'publisher', connected: false },
    { type: 'chat', seq: 4, name: 'c', text: 'hello', at: 9, role: 'creator' },
    { type: 'ended', reason: 'publisher-lost' },
    { type: 'error', code: 'rate-limited', message: 'slow down', retryAfterMs: 1500 },
    { type: 'moved', machineId: 'fedcba98765432', region: 'dfw' },
  ];
  for (const m of messages) assert.deepEqual(parseServerToViewer(encodeControl(m)), { ok: true, value: m });
  for (const bad of [
    '{"type":"hello","role":"viewer"}',
    '{"type":"ended","reason":"x"}',
    '{"type":"viewers","count":-1}',
    '{"type":"keyframe-request"}',
    '{"type":"moved","machineId":"fedcba98765432"}',
    '{"type":"move"}',
  ]) {
    assert.equal(parseServerToViewer(bad).ok, false, bad);
  }
});

test('server-to-publisher messages round-trip', () => {
  const messages: ServerToPublisher[] = [
    {
      type: 'hello',
      role: 'publisher',
      protocolVersion: PROTOCOL_VERSION,
      machineId: null,
      region: null,
      stream,
      viewers: 0,
      maxFrameBytes: 1000,
      maxAudioFrameBytes: 8192,
      chat: [],
    },
    { type: 'keyframe-request' },
    { type: 'viewers', count: 2 },
    { type: 'chat', seq: 1, name: 'v', text: 'yo', at: 1, role: 'viewer' },
    { type: 'error', code: 'bad-message', message: 'nope' },
    { type: 'move' },
  ];
  for (const m of messages) assert.deepEqual(parseServerToPublisher(encodeControl(m)), { ok: true, value: m });
  assert.equal(parseServerToPublisher('{"type":"ended","reason":"stopped"}').ok, false);
  assert.equal(parseServerToPublisher('{"type":"moved","machineId":"fedcba98765432","region":"dfw"}').ok, false);
});

const viewerHello = {
  type: 'hello',
  role: 'viewer',
  protocolVersion: PROTOCOL_VERSION,
  machineId: '0123456789abcd',
  region: 'ams',
  stream,
  config: null,
  audioConfig: null,
  viewers: 1,
  publisherConnected: true,
  chat: [{ seq: 1, name: 'a', text: 'hi', at: 5, role: 'viewer' }],
};
const publisherHello = {
  type: 'hello',
  role: 'publisher',
  protocolVersion: PROTOCOL_VERSION,
  machineId: '0123456789abcd',
  region: 'ams',
  stream,
  viewers: 1,
  maxFrameBytes: 1000,
  maxAudioFrameBytes: 8192,
  chat: [],
};

test("hellos: each role refuses a hello with any field missing or malformed, and the other role's hello", () => {
  const sharedBreaks: Array<[string, Record<string, unknown>]> = [
    ['protocolVersion missing', { protocolVersion: undefined }],
    ['protocolVersion negative', { protocolVersion: -1 }],
    ['machineId a number', { machineId: 5 }],
    ['region missing', { region: undefined }],
    ['stream missing', { stream: undefined }],
    ['stream without id', { stream: { ...stream, id: undefined } }],
    ['stream.startedAt text', { stream: { ...stream, startedAt: '1' } }],
    ['viewers fractional', { viewers: 1.5 }],
    ['chat not an array', { chat: {} }],
    ['chat with a bad role', { chat: [{ seq: 1, name: 'a', text: 'hi', at: 5, role: 'admin' }] }],
    ['chat with null entry', { chat: [null] }],
  ];
  const viewerBreaks: Array<[string, Record<string, unknown>]> = [
    ...sharedBreaks,
    ['role publisher', { role: 'publisher' }],
    ['publisherConnected missing', { publisherConnected: undefined }],
    ['config malformed', { config: { codec: '' } }],
    ['audioConfig missing', { audioConfig: undefined }],
    ['audioConfig malformed', { audioConfig: { codec: 'opus', sampleRate: 48000 } }],
  ];
  const publisherBreaks: Array<[string, Record<string, unknown>]> = [
    ...sharedBreaks,
    ['role viewer', { role: 'viewer' }],
    ['maxFrameBytes missing', { maxFrameBytes: undefined }],
    ['maxAudioFrameBytes missing', { maxAudioFrameBytes: undefined }],
  ];
  assert.equal(parseServerToViewer(JSON.stringify(viewerHello)).ok, true);
  assert.equal(parseServerToPublisher(JSON.stringify(publisherHello)).ok, true);
  for (const [what, patch] of viewerBreaks) {
    assert.equal(parseServerToViewer(JSON.stringify({ ...viewerHello, ...patch })).ok, false, `viewer: ${what}`);
  }
  for (const [what, patch] of publisherBreaks) {
    assert.equal(
      parseServerToPublisher(JSON.stringify({ ...publisherHello, ...patch })).ok,
      false,
      `publisher: ${what}`,
    );
  }
  assert.equal(parseServerToViewer(JSON.stringify(publisherHello)).ok, false);
  assert.equal(parseServerToPublisher(JSON.stringify(viewerHello)).ok, false);
});

test('hellos: unknown extra fields are tolerated and not copied', () => {
  const viewer = parseServerToViewer(JSON.stringify({ ...viewerHello, future: 1 }));
  assert.deepEqual(viewer, { ok: true, value: viewerHello });
  const publisher = parseServerToPublisher(JSON.stringify({ ...publisherHello, future: 1 }));
  assert.deepEqual(publisher, { ok: true, value: publisherHello });
});

test("hellos: a stream's epoch is a count up to STREAM_EPOCH_MAX, 0 from a server that sends none", () => {
  const epochOf = (epoch: unknown) => {
    const stream_ = epoch === undefined ? { ...stream, epoch: undefined } : { ...stream, epoch };
    const parsed = parseServerToViewer(JSON.stringify({ ...viewerHello, stream: stream_ }));
    return parsed.ok && parsed.value.type === 'hello' ? parsed.value.stream.epoch : 'refused';
  };
  const cases: Array<[unknown, number | 'refused']> = [
    [undefined, 0],
    [0, 0],
    [3, 3],
    [STREAM_EPOCH_MAX, STREAM_EPOCH_MAX],
    [STREAM_EPOCH_MAX + 1, 'refused'],
    [-1, 'refused'],
    [1.5, 'refused'],
    ['1', 'refused'],
    [null, 'refused'],
  ];
  for (const [epoch, expected] of cases) assert.equal(epochOf(epoch), expected, String(epoch));
});

test('base64 helpers round-trip bytes without Buffer and refuse garbage', () => {
  const bytes = new Uint8Array(70_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  const text = bytesToBase64(bytes);
  const back = base64ToBytes(text);
  assert.ok(back.ok);
  assert.deepEqual(back.value, bytes);
  assert.equal(base64ToBytes('abc').ok, false);
  assert.equal(base64ToBytes('ab$=').ok, false);
});
