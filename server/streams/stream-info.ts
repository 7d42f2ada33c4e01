import { type ChatMessage, encodeControl, PROTOCOL_VERSION, type StreamInfo } from '../../shared/protocol.ts';
import type { RelayLimits } from './relay-limits.ts';
import type { StreamSummary } from './source.ts';
import type { StreamMedia } from './stream-media.ts';
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
export function summarizeStream(meta: StreamMeta, startedAt: number, viewers: number): StreamSummary {
  return { id: meta.id, title: meta.title, creator: meta.creator, viewers, startedAt, epoch: meta.epoch };
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

type HelloFields = ReturnType<typeof helloFields>;

/** The publisher's hello: the stream, this Machine, and the largest frames it may send. */
export function publisherHello(fields: HelloFields, limits: RelayLimits): string {
  return encodeControl({
    type: 'hello',
    role: 'publisher',
    ...fields,
    maxFrameBytes: limits.maxFrameBytes,
    maxAudioFrameBytes: limits.maxAudioFrameBytes,
  });
}

/** A viewer's hello: the stream, this Machine, the decoder configs to start from, and whether a publisher is on. */
export function viewerHello(
  fields: HelloFields,
  media: Pick<StreamMedia, 'config' | 'audioConfig'>,
  publisherConnected: boolean,
): string {
  return encodeControl({
    type: 'hello',
    role: 'viewer',
    ...fields,
    config: media.config,
    audioConfig: media.audioConfig,
    publisherConnected,
  });
}
