/**
 * replaycast wire protocol, imported by the server and the browser (so: no Node-only APIs).
 *
 * Two kinds of WebSocket message travel on `/ws/publish/<id>` and `/ws/watch/<id>`:
 * - text messages: one JSON control object with a `type` field (typed per direction below);
 * - binary messages: one video chunk, or a few audio packets, in the frame layout below.
 * Every decode/parse function returns `{ ok: false, error }` on bad input instead of throwing.
 * See shared/PROTOCOL.md for the prose version.
 */

import { type AudioConfig, parseAudioConfig } from './audio-config.ts';
import { isCount, isObject } from './guards.ts';

export type { AudioConfig } from './audio-config.ts';

/**
 * Bumped on any incompatible change to the frame layout or the control messages.
 * 2: frames carry a track (video or audio); `audio-config` messages; hellos carry the audio config.
 * 3: an audio frame carries several Opus packets (shared/audio-packets.ts), not one.
 */
export const PROTOCOL_VERSION = 3;

/**
 * Clients name the version they speak in this query parameter of both socket URLs; a server that
 * speaks another one accepts the upgrade and closes at once with CloseCode.protocolMismatch (a
 * browser sees a close code and its reason, never the status of a refused upgrade).
 */
export const PROTOCOL_QUERY_PARAM = 'protocol';

/** Why a socket whose URL named `clientVersion` is refused, or null when it may go on (absent: not said). */
export function protocolRefusal(clientVersion: unknown): string | null {
  if (clientVersion === undefined) return null;
  if (typeof clientVersion === 'string' && clientVersion === String(PROTOCOL_VERSION)) return null;
  const said = typeof clientVersion === 'string' ? clientVersion.slice(0, 12) : 'several values';
  return `protocol version ${JSON.stringify(said)} is not spoken here: this server speaks ${PROTOCOL_VERSION}; reload the page`;
}

// ---------------------------------------------------------------------------------------------
// Limits shared by both sides (the client enforces them before sending; the server enforces them).

/** Chat text length, in UTF-16 code units (what an `<input maxlength>` counts). */
export const CHAT_MAX_CHARS = 500;
/** Chat display name length, in UTF-16 code units. */
export const CHAT_NAME_MAX_CHARS = 40;
/**
 * At most this many chat messages within CHAT_RATE_WINDOW_MS: per client address and stream across its
 * watch sockets on the server (the creator's publish socket has its own), per socket on the page.
 */
export const CHAT_RATE_MAX_MESSAGES = 5;
export const CHAT_RATE_WINDOW_MS = 10_000;
/** Chat messages kept per stream and replayed to late joiners in their hello. */
export const CHAT_HISTORY_MESSAGES = 50;
/** Codec strings longer than this are refused (real ones are ~5-40 chars). */
export const CODEC_MAX_CHARS = 100;
/** Decoder `description` (e.g. avcC) cap, in bytes before base64. */
export const DESCRIPTION_MAX_BYTES = 64 * 1024;
/** Largest coded width/height accepted in a config, in pixels. */
export const MAX_DIMENSION_PX = 8192;
/** A stream's epoch counts its moves between Machines; a claim past this is refused (no real stream moves that often). */
export const STREAM_EPOCH_MAX = 1_000_000;

/** WebSocket close codes used by the server (1000-1011 are the RFC 6455 ones). */
export const CloseCode = {
  /** The stream ended (publisher stop, or the reconnect grace period ran out). */
  normal: 1000,
  /** This Machine is shutting down: ask the directory where the stream is now. */
  goingAway: 1001,
  /** The socket sent more refused messages (malformed, unexpected, over the chat rate) than its budget allows. */
  policy: 1008,
  /** A binary frame larger than the server's maxFrameBytes. */
  tooBig: 1009,
  /** A text message that is not a valid control message for this role, or an unparseable frame. */
  badMessage: 4002,
  /** The stream is gone (ended between the upgrade check and the upgrade). */
  notFound: 4004,
  /** The viewer stayed behind (lag or backlog over its limit) longer than slowViewerCloseMs. */
  tooSlow: 4008,
  /** Another publisher connection with the same token took over this stream. */
  replaced: 4009,
  /** The socket URL named a protocol version this server does not speak (the reason says which it does). */
  protocolMismatch: 4010,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

// ---------------------------------------------------------------------------------------------
// Binary frame layout (all integers big-endian):
//
//   offset  size  field
//   0       1     version      = PROTOCOL_VERSION
//   1       1     flags+track  bit 0: keyframe (video only, 0 on audio); bits 1-3 reserved, must be 0;
//                              bits 4-7: track (0 video, 1 audio; 2-15 unknown to this version)
//   2       8     timestampUs  unsigned microseconds (<= 2^53 - 1), the chunk's presentation time
//   10      n     payload      video: the encoded chunk (EncodedVideoChunk data), n >= 1;
//                              audio: one or more Opus packets (layout in shared/audio-packets.ts)
//
// Publishers send this layout; the server relays the very same bytes to every viewer. Both tracks'
// timestamps are on one clock (the publisher's wall clock), which is what keeps them in sync.

export const FRAME_HEADER_BYTES = 10;
export const FRAME_FLAG_KEYFRAME = 0x01;
const FRAME_FLAGS_RESERVED = 0x0e;
const TRACK_SHIFT = 4;
export const TRACK_VIDEO = 0;
export const TRACK_AUDIO = 1;
/** The largest track number the layout can carry (4 bits). */
export const TRACK_MAX = 15;
export const trackName = (track: number): string =>
  track === TRACK_VIDEO ? 'video' : track === TRACK_AUDIO ? 'audio' : `track ${track}`;

export interface Frame {
  /** TRACK_VIDEO, TRACK_AUDIO, or (from a newer peer) a number up to TRACK_MAX this version does not know. */
  track: number;
  /** Video only: the chunk decodes without earlier ones. Always false on audio. */
  keyframe: boolean;
  /** Microseconds; WebCodecs' EncodedVideoChunk/EncodedAudioChunk.timestamp unit. */
  timestampUs: number;
  /** On decode: a view into the input (no copy). */
  payload: Uint8Array;
}

/** What encodeFrame takes: the track defaults to video. */
export type FrameInput = Omit<Frame, 'track'> & { track?: number };

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

const TWO_32 = 2 ** 32;

/** Encodes one frame into a fresh buffer (header + a copy of the payload). Throws only on misuse. */
export function encodeFrame(frame: FrameInput): Uint8Array {
  const { timestampUs, payload } = frame;
  if (!Number.isSafeInteger(timestampUs) || timestampUs < 0) {
    throw new RangeError(`timestampUs must be a non-negative safe integer, got ${timestampUs}`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  writeFrameHeader(out, frame.keyframe, timestampUs, frame.track);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Writes the 10-byte header in place (lets a sender reuse one buffer, e.g. the demo streams). */
export function writeFrameHeader(
  target: Uint8Array,
  keyframe: boolean,
  timestampUs: number,
  track: number = TRACK_VIDEO,
): void {
  if (!Number.isInteger(track) || track < 0 || track > TRACK_MAX) {
    throw new RangeError(`track must be a whole number from 0 to ${TRACK_MAX}, got ${track}`);
  }
  const view = new DataView(target.buffer, target.byteOffset, FRAME_HEADER_BYTES);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, (track << TRACK_SHIFT) | (keyframe ? FRAME_FLAG_KEYFRAME : 0));
  view.setUint32(2, Math.floor(timestampUs / TWO_32));
  view.setUint32(6, timestampUs % TWO_32);
}

/**
 * Decodes one binary message. The payload is a view into `data`, not a copy. A track this version
 * does not know is not an error here: the server refuses it with a message, a viewer skips it.
 */
export function decodeFrame(data: Uint8Array | ArrayBuffer): Result<Frame> {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null;
  if (bytes === null) return fail('a frame must be binary (Uint8Array or ArrayBuffer)');
  if (bytes.byteLength < FRAME_HEADER_BYTES + 1) {
    return fail(`a frame needs a ${FRAME_HEADER_BYTES}-byte header and a payload; got ${bytes.byteLength} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== PROTOCOL_VERSION) return fail(`unsupported frame version ${version} (expected ${PROTOCOL_VERSION})`);
  const flags = view.getUint8(1);
  if ((flags & FRAME_FLAGS_RESERVED) !== 0) return fail(`unknown frame flags 0x${flags.toString(16)}`);
  const hi = view.getUint32(2);
  const lo = view.getUint32(6);
  if (hi > 0x1fffff) return fail('frame timestamp exceeds 2^53 - 1 microseconds');
  return ok({
    track: flags >> TRACK_SHIFT,
    keyframe: (flags & FRAME_FLAG_KEYFRAME) !== 0,
    timestampUs: hi * TWO_32 + lo,
    payload: bytes.subarray(FRAME_HEADER_BYTES),
  });
}

/** Reads just the keyframe flag and timestamp of an already-validated frame (server hot path). */
export function peekFrameHeader(bytes: Uint8Array): { keyframe: boolean; timestampUs: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  return {
    keyframe: (view.getUint8(1) & FRAME_FLAG_KEYFRAME) !== 0,
    timestampUs: view.getUint32(2) * TWO_32 + view.getUint32(6),
  };
}

// ---------------------------------------------------------------------------------------------
// Control messages (JSON text messages).

/** What `VideoDecoder.configure()` needs; `description` is base64 (see bytesToBase64). */
export interface DecoderConfig {
  codec: string;
  codedWidth: number;
  codedHeight: number;
  description?: string;
}

/** A stream as described to viewers and publishers. */
export interface StreamInfo {
  id: string;
  title: string;
  creator: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  /** The home Machine (null off Fly). */
  machineId: string | null;
  region: string | null;
  /** Moves so far: 0 on the Machine that created it, one more on each Machine it moves to. */
  epoch: number;
}

export interface ChatMessage {
  /** 1, 2, 3... per stream, in broadcast order. */
  seq: number;
  name: string;
  text: string;
  /** Milliseconds since the epoch, server time. */
  at: number;
  role: 'viewer' | 'creator';
}

export type ErrorCode =
  | 'bad-message'
  | 'rate-limited'
  | 'chat-invalid'
  | 'not-configured'
  | 'unsupported'
  /** An audio frame over maxAudioFrameBytes: dropped, the socket stays open. */
  | 'too-big';

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** For rate-limited: when the next message would be accepted. */
  retryAfterMs?: number;
}

export interface ChatBroadcast extends ChatMessage {
  type: 'chat';
}

export interface ViewersMessage {
  type: 'viewers';
  count: number;
}

// Publisher -> server
export interface PublisherConfigMessage {
  type: 'config';
  config: DecoderConfig;
}
/**
 * The audio track's decoder config (from AudioEncoder's output metadata), before the first audio
 * frame; null: this publisher sends no audio. Viewers get the same message when it changes.
 */
export interface AudioConfigMessage {
  type: 'audio-config';
  config: AudioConfig | null;
}
/** Explicit end of the stream: the server ends it at once (no grace period). */
export interface PublisherStopMessage {
  type: 'stop';
}
/** Chat as the creator (same limits as viewers). */
export interface ChatSendMessage {
  type: 'chat';
  text: string;
  /** Display name; viewers default to "viewer", the publisher is always the stream's creator. */
  name?: string;
}
export type PublisherToServer = PublisherConfigMessage | AudioConfigMessage | PublisherStopMessage | ChatSendMessage;

/** What the server's first message on either socket carries; each role adds its own fields. */
export interface HelloBase {
  type: 'hello';
  protocolVersion: number;
  /** The Machine serving this socket; for a viewer, equal to stream.machineId by construction (the proof). */
  machineId: string | null;
  region: string | null;
  stream: StreamInfo;
  viewers: number;
  /** The last CHAT_HISTORY_MESSAGES chat messages, oldest first. */
  chat: ChatMessage[];
}

// Server -> publisher
export interface PublisherHello extends HelloBase {
  role: 'publisher';
  /** The server closes the socket with 1009 for a frame over this size (header included). */
  maxFrameBytes: number;
  /** Audio frames over this size (header included) are dropped with a `too-big` error. */
  maxAudioFrameBytes: number;
}
export interface KeyframeRequest {
  type: 'keyframe-request';
}
/** This Machine is going away: resume the stream on another one (`POST /api/streams/<id>/resume`); a 1001 close follows. */
export interface MoveMessage {
  type: 'move';
}
/**
 * Never sent: what the client-side parsers return for a hello of another protocol version, so a page
 * can say "reload" instead of misreading the stream.
 */
export interface ProtocolMismatch {
  type: 'protocol-mismatch';
  serverVersion: number;
}
export type ServerToPublisher =
  | PublisherHello
  | KeyframeRequest
  | ViewersMessage
  | ChatBroadcast
  | ErrorMessage
  | MoveMessage
  | ProtocolMismatch;

// Viewer -> server
/** Sent periodically (e.g. every 250-500 ms): the timestamp of the last frame the viewer decoded. */
export interface AckMessage {
  type: 'ack';
  timestampUs: number;
}
/** After a decoder error: asks for a keyframe (the server throttles requests to the publisher). */
export interface ViewerKeyframeRequest {
  type: 'keyframe-request';
}
export type ViewerToServer = AckMessage | ViewerKeyframeRequest | ChatSendMessage;

// Server -> viewer
export interface ViewerHello extends HelloBase {
  role: 'viewer';
  /** null until the publisher has sent its config; a `config` message follows then. */
  config: DecoderConfig | null;
  /** null while the stream has no audio track; an `audio-config` message follows when that changes. */
  audioConfig: AudioConfig | null;
  /** Whether a publisher is connected now (false during its reconnect grace period). */
  publisherConnected: boolean;
  /** Present when this Machine relays the stream from its home (`stream.machineId`) over NATS. */
  relayed?: true;
}
/** A new decoder config (publisher (re)connected or changed size): reconfigure, wait for a keyframe. */
export interface ConfigMessage {
  type: 'config';
  config: DecoderConfig;
}
export interface PublisherStateMessage {
  type: 'publisher';
  connected: boolean;
}
/** The stream now lives on another Machine: follow it there; a 1001 close follows. */
export interface MovedMessage {
  type: 'moved';
  machineId: string;
  region: string;
}
export type EndReason = 'stopped' | 'publisher-lost';
/** Sent just before a normal (1000) close. */
export interface EndedMessage {
  type: 'ended';
  reason: EndReason;
}
export type ServerToViewer =
  | ViewerHello
  | ConfigMessage
  | AudioConfigMessage
  | ViewersMessage
  | PublisherStateMessage
  | ChatBroadcast
  | EndedMessage
  | ErrorMessage
  | MovedMessage
  | ProtocolMismatch;

export type ControlMessage = PublisherToServer | ServerToPublisher | ViewerToServer | ServerToViewer;

/** Serialises a control message (a text WebSocket message). */
export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

// ---------------------------------------------------------------------------------------------
// Parsing: strict for what the server receives, tolerant of unknown extra fields everywhere
// (so a newer peer can add optional fields without breaking an older one).

type Obj = Record<string, unknown>;

function parseObject(text: unknown, maxChars: number): Result<Obj> {
  if (typeof text !== 'string') return fail('a control message must be a text message');
  if (text.length > maxChars) return fail(`control message longer than ${maxChars} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('control message is not valid JSON');
  }
  if (!isObject(value)) return fail('control message must be a JSON object');
  if (typeof value.type !== 'string') return fail('control message needs a string "type"');
  return ok(value);
}

/** Text messages from clients are small; this bounds JSON.parse work (description is base64). */
export const CONTROL_MAX_CHARS = 4096 + Math.ceil(DESCRIPTION_MAX_BYTES / 3) * 4;

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseDecoderConfig(v: unknown): Result<DecoderConfig> {
  if (!isObject(v)) return fail('config must be an object');
  const c = v;
  if (
    typeof c.codec !== 'string' ||
    c.codec.length === 0 ||
    c.codec.length > CODEC_MAX_CHARS ||
    !/^[\w.+-]+$/.test(c.codec)
  ) {
    return fail(
      `config.codec must be a codec string like "vp8" (1-${CODEC_MAX_CHARS} chars of letters, digits, . + - _)`,
    );
  }
  for (const key of ['codedWidth', 'codedHeight'] as const) {
    const n = c[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_DIMENSION_PX) {
      return fail(`config.${key} must be a whole number of pixels from 1 to ${MAX_DIMENSION_PX}`);
    }
  }
  const config: DecoderConfig = {
    codec: c.codec,
    codedWidth: c.codedWidth as number,
    codedHeight: c.codedHeight as number,
  };
  if (c.description !== undefined && c.description !== null) {
    if (typeof c.description !== 'string' || c.description.length % 4 !== 0 || !BASE64_RE.test(c.description)) {
      return fail('config.description must be base64');
    }
    if ((c.description.length / 4) * 3 > DESCRIPTION_MAX_BYTES + 2)
      return fail(`config.description over ${DESCRIPTION_MAX_BYTES} bytes`);
    config.description = c.description;
  }
  return ok(config);
}

function parseChatSend(m: Obj): Result<ChatSendMessage> {
  if (typeof m.text !== 'string') return fail('chat.text must be a string');
  const text = m.text.trim();
  if (text.length === 0) return fail('chat.text is empty');
  if (text.length > CHAT_MAX_CHARS) return fail(`chat.text is longer than ${CHAT_MAX_CHARS} characters`);
  const msg: ChatSendMessage = { type: 'chat', text };
  if (m.name !== undefined && m.name !== null) {
    if (typeof m.name !== 'string') return fail('chat.name must be a string');
    const name = m.name.trim();
    if (name.length === 0 || name.length > CHAT_NAME_MAX_CHARS)
      return fail(`chat.name must be 1-${CHAT_NAME_MAX_CHARS} characters`);
    msg.name = name;
  }
  return ok(msg);
}

/** Server side: a text message on a publish socket. */
export function parsePublisherMessage(text: unknown): Result<PublisherToServer> {
  const parsed = parseObject(text, CONTROL_MAX_CHARS);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  switch (m.type) {
    case 'config': {
      const config = parseDecoderConfig(m.config);
      return config.ok ? ok({ type: 'config', config: config.value }) : config;
    }
    case 'audio-config':
      return parseAudioConfigMessage(m);
    case 'stop':
      return ok({ type: 'stop' });
    case 'chat':
      return parseChatSend(m);
    default:
      return fail(`unknown publisher message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
  }
}

/** Server side: a text message on a watch socket. */
export function parseViewerMessage(text: unknown): Result<ViewerToServer> {
  const parsed = parseObject(text, 4096);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  switch (m.type) {
    case 'ack':
      return isCount(m.timestampUs)
        ? ok({ type: 'ack', timestampUs: m.timestampUs })
        : fail('ack.timestampUs must be a non-negative whole number');
    case 'keyframe-request':
      return ok({ type: 'keyframe-request' });
    case 'chat':
      return parseChatSend(m);
    default:
      return fail(`unknown viewer message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
  }
}

function isChatMessage(c: unknown): c is ChatMessage {
  return (
    isObject(c) &&
    isCount(c.seq) &&
    typeof c.name === 'string' &&
    typeof c.text === 'string' &&
    isCount(c.at) &&
    (c.role === 'viewer' || c.role === 'creator')
  );
}

/** A stream as a hello describes it; null when malformed. A server without moves sends no epoch: 0. */
function parseStreamInfo(s: unknown): StreamInfo | null {
  if (
    !isObject(s) ||
    typeof s.id !== 'string' ||
    typeof s.title !== 'string' ||
    typeof s.creator !== 'string' ||
    !isCount(s.startedAt) ||
    !(s.machineId === null || typeof s.machineId === 'string') ||
    !(s.region === null || typeof s.region === 'string')
  ) {
    return null;
  }
  const epoch = s.epoch === undefined ? 0 : s.epoch;
  if (!isCount(epoch) || epoch > STREAM_EPOCH_MAX) return null;
  const { id, title, creator, startedAt, machineId, region } = s;
  return { id, title, creator, startedAt, machineId, region, epoch };
}

const nullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** The fields every hello carries, for the given role; null when any of them is missing or malformed. */
function parseHelloBase(m: Obj, role: 'viewer' | 'publisher'): HelloBase | null {
  const { protocolVersion, machineId, region, viewers, chat } = m;
  const stream = parseStreamInfo(m.stream);
  if (
    m.role !== role ||
    !isCount(protocolVersion) ||
    !nullableString(machineId) ||
    !nullableString(region) ||
    stream === null ||
    !isCount(viewers) ||
    !Array.isArray(chat) ||
    !chat.every(isChatMessage)
  ) {
    return null;
  }
  return { type: 'hello', protocolVersion, machineId, region, stream, viewers, chat };
}

function parseAudioConfigMessage(m: Obj): Result<AudioConfigMessage> {
  if (m.config === null) return ok({ type: 'audio-config', config: null });
  const config = parseAudioConfig(m.config);
  return config.ok ? ok({ type: 'audio-config', config: config.value }) : config;
}

/** A hello from a server of another protocol version: its fields may mean something else, so read none. */
function mismatch(m: Obj): ProtocolMismatch | null {
  return m.type === 'hello' && isCount(m.protocolVersion) && m.protocolVersion !== PROTOCOL_VERSION
    ? { type: 'protocol-mismatch', serverVersion: m.protocolVersion }
    : null;
}

function parseCommon(m: Obj): Result<ViewersMessage | ChatBroadcast | ErrorMessage> | null {
  switch (m.type) {
    case 'viewers':
      return isCount(m.count) ? ok({ type: 'viewers', count: m.count }) : fail('viewers.count must be a count');
    case 'chat':
      return isChatMessage(m)
        ? ok({ type: 'chat', seq: m.seq, name: m.name, text: m.text, at: m.at, role: m.role })
        : fail('malformed chat message');
    case 'error':
      if (typeof m.code !== 'string' || typeof m.message !== 'string')
        return fail('error needs code and message strings');
      return ok({
        type: 'error',
        code: m.code as ErrorCode,
        message: m.message,
        ...(isCount(m.retryAfterMs) ? { retryAfterMs: m.retryAfterMs } : {}),
      });
    default:
      return null;
  }
}

/** Client side (watch page): a text message from the server. */
export function parseServerToViewer(text: unknown): Result<ServerToViewer> {
  const parsed = parseObject(text, 1024 * 1024);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const common = parseCommon(m);
  if (common !== null) return common;
  const other = mismatch(m);
  if (other !== null) return ok(other);
  switch (m.type) {
    case 'hello': {
      const base = parseHelloBase(m, 'viewer');
      if (base === null || typeof m.publisherConnected !== 'boolean') return fail('malformed viewer hello');
      let config: DecoderConfig | null = null;
      if (m.config !== null) {
        const c = parseDecoderConfig(m.config);
        if (!c.ok) return c;
        config = c.value;
      }
      const audio = parseAudioConfigMessage({ config: m.audioConfig });
      if (!audio.ok) return audio;
      return ok({
        ...base,
        role: 'viewer',
        config,
        audioConfig: audio.value.config,
        publisherConnected: m.publisherConnected,
        ...(m.relayed === true && { relayed: true as const }),
      });
    }
    case 'config': {
      const c = parseDecoderConfig(m.config);
      return c.ok ? ok({ type: 'config', config: c.value }) : c;
    }
    case 'audio-config':
      return parseAudioConfigMessage(m);
    case 'publisher':
      return typeof m.connected === 'boolean'
        ? ok({ type: 'publisher', connected: m.connected })
        : fail('publisher.connected must be a boolean');
    case 'ended':
      return m.reason === 'stopped' || m.reason === 'publisher-lost'
        ? ok({ type: 'ended', reason: m.reason })
        : fail('ended.reason is unknown');
    case 'moved':
      return typeof m.machineId === 'string' && typeof m.region === 'string'
        ? ok({ type: 'moved', machineId: m.machineId, region: m.region })
        : fail('moved needs machineId and region strings');
    default:
      return fail(`unknown server message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
  }
}

/** Client side (go-live page): a text message from the server. */
export function parseServerToPublisher(text: unknown): Result<ServerToPublisher> {
  const parsed = parseObject(text, 1024 * 1024);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const common = parseCommon(m);
  if (common !== null) return common;
  const other = mismatch(m);
  if (other !== null) return ok(other);
  switch (m.type) {
    case 'hello': {
      const base = parseHelloBase(m, 'publisher');
      if (base === null || !isCount(m.maxFrameBytes) || !isCount(m.maxAudioFrameBytes))
        return fail('malformed publisher hello');
      return ok({
        ...base,
        role: 'publisher',
        maxFrameBytes: m.maxFrameBytes,
        maxAudioFrameBytes: m.maxAudioFrameBytes,
      });
    }
    case 'keyframe-request':
      return ok({ type: 'keyframe-request' });
    case 'move':
      return ok({ type: 'move' });
    default:
      return fail(`unknown server message type ${JSON.stringify(String(m.type).slice(0, 40))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// base64 for DecoderConfig.description, without Node's Buffer (btoa/atob exist in both runtimes).

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function base64ToBytes(text: string): Result<Uint8Array> {
  if (text.length % 4 !== 0 || !BASE64_RE.test(text)) return fail('not base64');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return ok(out);
}
