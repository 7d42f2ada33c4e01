import { STREAM_EPOCH_MAX } from '../../shared/protocol.ts';
import { type Claim, compareClaims } from '../directory/claims.ts';
import type { HoldState, StreamSummary } from '../streams/source.ts';
import type { HolderAnswer } from './holder.ts';

/** Where the directory lists a stream. */
export interface Listing {
  machineId: string;
  region: string;
  epoch: number;
}

/** A Machine a stream is live on, named in a 409 so the creator's page connects there. */
export interface Home {
  machineId: string | null;
  region: string | null;
}

export type ResumeStep =
  | { kind: 'refuse'; status: 401 | 409; error: string; home?: Home }
  /** Ask the Machine the directory lists whether it still holds the stream. */
  | { kind: 'ask'; listing: Listing }
  /** Take the stream over here, at this epoch. */
  | { kind: 'take'; epoch: number };

export interface ResumeFacts {
  tokenOk: boolean;
  /** Whether this Machine holds the stream already. */
  heldHere: HoldState;
  self: Home;
  /** Where this Machine's directory lists the stream, if anywhere. */
  listing: Listing | undefined;
  /** The epoch the creator's page last saw. */
  epoch: number;
}

/** The epoch of a stream moving now: one past the newest claim anyone has seen; null past STREAM_EPOCH_MAX. */
export function nextEpoch(seen: number, listed: number | undefined): number | null {
  const next = Math.max(seen, listed ?? 0) + 1;
  return next > STREAM_EPOCH_MAX ? null : next;
}

const tooManyMoves: Exclude<ResumeStep, { kind: 'ask' }> = {
  kind: 'refuse',
  status: 409,
  error: `the stream has moved ${STREAM_EPOCH_MAX} times, the most it may; go live again`,
};

const liveOn = (home: Home): Exclude<ResumeStep, { kind: 'ask' }> => ({
  kind: 'refuse',
  status: 409,
  error: `the stream is live on Machine ${home.machineId ?? 'local'}${home.region === null ? '' : ` (${home.region})`}; publish there`,
  home,
});

/**
 * `POST /api/streams/<id>/resume`, before any question to a peer: a wrong token is 401; a stream held
 * here already is 409 naming this Machine (another resume won, or it never left); one the directory
 * lists elsewhere needs that Machine asked first; else it is taken over here.
 */
export function resumeStep(facts: ResumeFacts): ResumeStep {
  if (!facts.tokenOk) return { kind: 'refuse', status: 401, error: 'wrong publish token for this stream' };
  if (facts.heldHere !== null) return liveOn(facts.self);
  const { listing } = facts;
  if (listing !== undefined && listing.machineId !== facts.self.machineId) return { kind: 'ask', listing };
  const epoch = nextEpoch(facts.epoch, listing?.epoch);
  return epoch === null ? tooManyMoves : { kind: 'take', epoch };
}

/**
 * After asking the listed Machine: still live there (healthy, not going away) is 409 naming it; going
 * away, not holding it, or not answering (crashed) means the stream is taken over here.
 */
export function afterAsking(
  answer: HolderAnswer,
  listing: Listing,
  seenEpoch: number,
): Exclude<ResumeStep, { kind: 'ask' }> {
  if (answer === 'live') return liveOn({ machineId: listing.machineId, region: listing.region });
  const epoch = nextEpoch(seenEpoch, listing.epoch);
  return epoch === null ? tooManyMoves : { kind: 'take', epoch };
}

/** A stream claim as a peer's snapshot states it. */
export interface PeerClaims {
  machineId: string;
  region: string;
  streams: readonly Pick<StreamSummary, 'id' | 'epoch' | 'startedAt'>[];
}

/**
 * The streams held here that a peer's snapshot claims with a higher rank (claims.ts): they moved there,
 * so their viewers here should follow. Called for every peer snapshot applied.
 */
export function supersededBy(
  local: readonly Pick<StreamSummary, 'id' | 'epoch' | 'startedAt'>[],
  selfId: string,
  peer: PeerClaims,
): string[] {
  if (local.length === 0 || peer.machineId === selfId) return [];
  const mine = new Map(local.map((s) => [s.id, s]));
  const out: string[] = [];
  for (const theirs of peer.streams) {
    const held = mine.get(theirs.id);
    if (held === undefined) continue;
    const ours: Claim = { machineId: selfId, epoch: held.epoch, startedAt: held.startedAt };
    if (compareClaims({ machineId: peer.machineId, epoch: theirs.epoch, startedAt: theirs.startedAt }, ours) > 0)
      out.push(theirs.id);
  }
  return out;
}
