import type { LocalSnapshot } from './local-snapshot.ts';
import type { DirectoryState } from './state.ts';
import { type ThumbnailVersions, withServedThumbnails } from './thumbnail-versions.ts';
import { buildView, type DirectoryStream, type DirectoryView } from './view.ts';
import { type BuiltView, ViewCache } from './view-cache.ts';

/** What the reads are built from; the thumbnail fields change after construction, so they are read each time. */
export interface ReadSources {
  self: LocalSnapshot;
  state: DirectoryState;
  now: () => number;
  stale: () => boolean;
  /** The versions of the thumbnails this Machine serves; null until the thumbnails plugin hands them over. */
  thumbnails: () => ThumbnailVersions | null;
  /** Grows whenever the thumbnails this Machine holds change (the view names their versions). */
  thumbnailRevision: () => number;
}

/**
 * The directory's reads: the cluster view merged from this Machine's snapshot and its peers' records, built once
 * per change and shared by every request until the next one.
 */
export class DirectoryReads {
  private readonly cache = new ViewCache(() => {
    const { self, state, now, thumbnails } = this.src;
    const view = buildView(self.current, state.records.values(), now(), false);
    const versions = thumbnails();
    return versions === null ? view : withServedThumbnails(view, self.current.machineId, versions);
  });

  constructor(private readonly src: ReadSources) {}

  /** Times the view was built since start (stats: proves reads do not rebuild it). */
  get builds(): number {
    return this.cache.builds;
  }

  /** The lists come from the cache (shared, frozen); `lastSeenMs` and `stale` are read now. */
  view(): DirectoryView {
    const { streams, machines } = this.built();
    const nowMs = this.src.now();
    const selfId = this.src.self.current.machineId;
    return {
      streams: streams as DirectoryStream[],
      machines: machines.map((m) => ({
        ...m,
        lastSeenMs: m.id === selfId ? nowMs : (this.src.state.records.get(m.id)?.lastSeenMs ?? nowMs),
      })),
      stale: this.src.stale(),
    };
  }

  list(): readonly DirectoryStream[] {
    return this.built().streams;
  }

  get(id: string): DirectoryStream | undefined {
    return this.built().byId.get(id);
  }

  /** Streams hosted by peers, each with the thumbnail version its home advertises. */
  peerStreams(): DirectoryStream[] {
    const { self, state, now } = this.src;
    const view = buildView(self.current, state.records.values(), now(), false);
    return view.streams.filter((s) => s.machineId !== self.current.machineId);
  }

  private built(): BuiltView {
    // Both counters only grow, so their sum changes whenever peers or the copies of thumbnails do.
    return this.cache.current(this.src.self.current, this.src.state.revision + this.src.thumbnailRevision());
  }
}
