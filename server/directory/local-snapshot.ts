import type { RelayedStreamLoad, RelayReadiness } from '../../shared/directory-api.ts';
import type { Snapshot } from './snapshot.ts';

export type SnapshotIdentity = Pick<Snapshot, 'machineId' | 'region' | 'bootId'>;

/**
 * This Machine's streams as its snapshot carries them: a total (home and relays) above MAX_STREAM_VIEWERS
 * is advertised as MAX_STREAM_VIEWERS, since peers refuse a whole snapshot with a count above it.
 */
export function cappedStreams(streams: Snapshot['streams'], maxViewers: number): Snapshot['streams'] {
  if (streams.every((s) => s.viewers <= maxViewers)) return streams;
  return streams.map((s) =>
    s.viewers <= maxViewers
      ? s
      : {
          ...s,
          viewers: maxViewers,
          ...(s.homeViewers !== undefined && { homeViewers: Math.min(s.homeViewers, maxViewers) }),
        },
  );
}

export function firstSnapshot(identity: SnapshotIdentity, streams: Snapshot['streams']): Snapshot {
  return { machineId: identity.machineId, region: identity.region, bootId: identity.bootId, version: 1, streams };
}

/** The next version of this Machine's snapshot: same identity, the streams as they are now. */
export function nextSnapshot(prev: Snapshot, streams: Snapshot['streams']): Snapshot {
  return { ...prev, version: prev.version + 1, streams };
}

/** This Machine's own snapshot, as served to and pushed to peers; serialised once per change, not once per peer. */
export class LocalSnapshot {
  private snapshot: Snapshot;
  private serialized: { snapshot: Snapshot; json: string } | null = null;

  constructor(identity: SnapshotIdentity, streams: Snapshot['streams']) {
    this.snapshot = firstSnapshot(identity, streams);
  }

  get current(): Snapshot {
    return this.snapshot;
  }

  /** A new version holding `streams`. */
  update(streams: Snapshot['streams']): void {
    this.snapshot = nextSnapshot(this.snapshot, streams);
  }

  /** A new version with this relay readiness; false (no new version) when it is the one held. */
  setRelay(relay: RelayReadiness): boolean {
    if (this.snapshot.relay === relay) return false;
    this.snapshot = { ...nextSnapshot(this.snapshot, this.snapshot.streams), relay };
    return true;
  }

  /** A new version with this relay load; false (no new version) when it is the one held. */
  setLoad(connections: number, relayed: RelayedStreamLoad[]): boolean {
    const held = this.snapshot;
    if (held.connections === connections && JSON.stringify(held.relayed) === JSON.stringify(relayed)) return false;
    this.snapshot = { ...nextSnapshot(held, held.streams), connections, relayed };
    return true;
  }

  json(): string {
    if (this.serialized?.snapshot !== this.snapshot) {
      this.serialized = { snapshot: this.snapshot, json: JSON.stringify(this.snapshot) };
    }
    return this.serialized.json;
  }
}
