import { type ChatMessage, PROTOCOL_VERSION, type StreamInfo } from '../../shared/protocol.ts';
import type { StreamSummary } from './source.ts';

/** A stream's fixed facts. */
export interface StreamMeta {
  id: string;
  title: string;
  creator: string;
  createdAt: number;
  /** Moves so far (0 where it was created). */
  epoch: number;
  /** A stream resumed here keeps the start it had on its previous home. */
  startedAt?: number;
  /** ... and goes on numbering chat after the last message its creator saw there. */
  chatSeq?: number;
}

/** Where a stream went: the Machine that now holds its newest claim. */
export interface NewHome {
  machineId: string;
  region: string;
}

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
