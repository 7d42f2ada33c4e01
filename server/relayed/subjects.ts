import { isObject } from '../../shared/guards.ts';
import { isMachineId } from '../../shared/machine-id.ts';
import { PROTOCOL_VERSION, parseServerToViewer, type Result, type ViewerHello } from '../../shared/protocol.ts';
import { isRegionCode } from '../../shared/region.ts';
import { isStreamId } from '../../shared/stream-id.ts';
import type { AudienceState } from '../streams/stream-info.ts';
import type { TapControl } from '../streams/stream-tap.ts';

/** Every subject of the relay protocol starts with this (shared/PROTOCOL.md "Relays over NATS"). */
export const SUBJECT_ROOT = 'rc.v1';

/** The subjects of one stream. Stream ids are ULIDs: subject-safe (no `.`, `*`, `>` or spaces). */
export interface StreamSubjects {
  /** Home -> relays: each frame, byte for byte the viewer wire frame. */
  frames: string;
  /** Home -> relays: `config` and `audio-config` viewer messages. */
  config: string;
  /** Home -> relays: the other viewer messages (chat numbered by the home, total viewers, publisher, ended, moved) and `gone`. */
  events: string;
  /** Relay -> home, request: answered on the request's reply subject with a join header, then the cached GOP. */
  join: string;
  /** Relay -> home: a relayed viewer needs a keyframe (the home throttles them like its own). */
  keyframe: string;
  /** Relay -> home: a relayed viewer's chat message, the viewer's own JSON. */
  chat: string;
  /** Relay -> home: how many viewers a relay serves. */
  counts: string;
}

export function streamSubjects(id: string): StreamSubjects {
  if (!isStreamId(id)) throw new Error(`not a stream id: ${JSON.stringify(id)}`);
  const base = `${SUBJECT_ROOT}.${id}`;
  return {
    frames: `${base}.f`,
    config: `${base}.c`,
    events: `${base}.e`,
    join: `${base}.join`,
    keyframe: `${base}.kf`,
    chat: `${base}.chat`,
    counts: `${base}.vc`,
  };
}

const utf8 = new TextDecoder();

/** A control message on `config` or `events`, checked as a viewer would check it; `gone` too. */
export function parseTapControl(data: Uint8Array): Result<TapControl> {
  const text = utf8.decode(data);
  if (text === '{"type":"gone"}') return { ok: true, value: { type: 'gone' } };
  const parsed = parseServerToViewer(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.type === 'hello' || parsed.value.type === 'protocol-mismatch' || parsed.value.type === 'error') {
    return { ok: false, error: `${parsed.value.type} is not a relayed message` };
  }
  return parsed;
}

/** The first message of a join reply; `frames` binary frames (the cached GOP, oldest first) follow it. */
export interface JoinHeader extends AudienceState {
  type: 'joined';
  frames: number;
}

/**
 * Reuses the viewer hello's checks for the fields the two share: a join header is what a relay's
 * viewers' hellos are built from.
 */
export function parseJoinHeader(data: Uint8Array): Result<JoinHeader> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data));
  } catch {
    return { ok: false, error: 'join header is not JSON' };
  }
  if (!isObject(value) || value.type !== 'joined') return { ok: false, error: 'not a join header' };
  const { frames } = value;
  if (!Number.isSafeInteger(frames) || (frames as number) < 0) return { ok: false, error: 'join header frames' };
  const hello = parseServerToViewer(
    JSON.stringify({
      ...value,
      type: 'hello',
      role: 'viewer',
      protocolVersion: PROTOCOL_VERSION,
      machineId: null,
      region: null,
    }),
  );
  if (!hello.ok || hello.value.type !== 'hello') return { ok: false, error: 'join header: malformed stream state' };
  const h = hello.value as ViewerHello;
  return {
    ok: true,
    value: {
      type: 'joined',
      stream: h.stream,
      config: h.config,
      audioConfig: h.audioConfig,
      chat: h.chat,
      viewers: h.viewers,
      publisherConnected: h.publisherConnected,
      frames: frames as number,
    },
  };
}

/** A relay's viewer count for one stream. */
export interface RelayCount {
  machineId: string;
  region: string;
  viewers: number;
}

export function parseRelayCount(data: Uint8Array, maxViewers: number): Result<RelayCount> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data));
  } catch {
    return { ok: false, error: 'count is not JSON' };
  }
  if (!isObject(value)) return { ok: false, error: 'count must be an object' };
  const { machineId, region, viewers } = value;
  if (!isMachineId(machineId)) return { ok: false, error: 'count.machineId must be a Machine id' };
  if (region !== '' && !isRegionCode(region)) return { ok: false, error: 'count.region must be a region code' };
  if (!Number.isSafeInteger(viewers) || (viewers as number) < 0 || (viewers as number) > maxViewers)
    return { ok: false, error: `count.viewers must be a whole number from 0 to ${maxViewers}` };
  return { ok: true, value: { machineId, region: region as string, viewers: viewers as number } };
}
