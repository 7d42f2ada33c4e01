import {
  type AudioConfig,
  type ChatMessage,
  type DecoderConfig,
  encodeControl,
  PROTOCOL_VERSION,
  type StreamInfo,
} from '../../shared/protocol.ts';
import type { StreamSummary } from './source.ts';
import type { StreamMeta } from './stream-types.ts';

/** The Machine holding a stream (null off Fly). */
export interface HomeFacts {
  machineId: string | null;
  region: string | null;
}

/** The stream as hellos describe it. */
export function describeStream(meta: StreamMeta, startedAt: number, home: HomeFacts): StreamInfo {
  return {
    id: meta.id,
    title: meta.title,
    creator: meta.creator,
    startedAt,
    machineId: home.machineId,
    region: home.region,
    epoch: meta.epoch,
  };
}

/** The stream as the directory lists it. */
export function summarizeStream(
  meta: StreamMeta,
  startedAt: number,
  viewers: number,
  localViewers: number = viewers,
): StreamSummary {
  const summary: StreamSummary = {
    id: meta.id,
    title: meta.title,
    creator: meta.creator,
    viewers,
    startedAt,
    epoch: meta.epoch,
  };
  // Only a relayed stream says how many of its viewers watch on the home itself.
  if (localViewers !== viewers) summary.homeViewers = localViewers;
  return summary;
}

/** What both roles' hellos say of this stream and Machine. */
export function helloFields(stream: StreamInfo, home: HomeFacts, viewers: number, chat: ChatMessage[]) {
  return {
    protocolVersion: PROTOCOL_VERSION,
    machineId: home.machineId,
    region: home.region,
    stream,
    viewers,
    chat,
  } as const;
}

/** What a newcomer starts from, a viewer (its hello) or a relay (its join): the stream's state now. */
export interface AudienceState {
  stream: StreamInfo;
  config: DecoderConfig | null;
  audioConfig: AudioConfig | null;
  chat: ChatMessage[];
  /** Viewers everywhere: on the home and on the Machines relaying it. */
  viewers: number;
  publisherConnected: boolean;
}

/** A viewer's hello from the Machine serving it (`server`): the home, or a relay (`relayed`). */
export function viewerHello(server: HomeFacts, state: AudienceState, relayed = false): string {
  return encodeControl({
    type: 'hello',
    role: 'viewer',
    protocolVersion: PROTOCOL_VERSION,
    machineId: server.machineId,
    region: server.region,
    ...state,
    ...(relayed && { relayed: true as const }),
  });
}

/** The publisher's hello: the stream as its viewers see it, and the frame size limits it must keep to. */
export function publisherHello(
  home: HomeFacts,
  state: AudienceState,
  limits: { maxFrameBytes: number; maxAudioFrameBytes: number },
): string {
  return encodeControl({
    type: 'hello',
    role: 'publisher',
    ...helloFields(state.stream, home, state.viewers, state.chat),
    maxFrameBytes: limits.maxFrameBytes,
    maxAudioFrameBytes: limits.maxAudioFrameBytes,
  });
}
