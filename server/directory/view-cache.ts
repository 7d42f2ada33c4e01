import type { Snapshot } from './snapshot.ts';
import type { DirectoryMachine, DirectoryStream, DirectoryView } from './view.ts';

/** A built view and its streams by id. Shared by every reader until the next change: never mutate it. */
export interface BuiltView {
  streams: readonly DirectoryStream[];
  byId: ReadonlyMap<string, DirectoryStream>;
  machines: readonly DirectoryMachine[];
}

/**
 * The public view, built (merged and sorted) once per change rather than once per request. A change is a
 * new own snapshot or a new revision of the peers' state; every read in between gets the same lists.
 */
export class ViewCache {
  private held: { self: Snapshot; revision: number; built: BuiltView } | null = null;
  private buildCount = 0;

  constructor(private readonly build: () => Pick<DirectoryView, 'streams' | 'machines'>) {}

  /** Times the view was built since start (stats: proves reads do not rebuild it). */
  get builds(): number {
    return this.buildCount;
  }

  current(self: Snapshot, revision: number): BuiltView {
    const held = this.held;
    if (held !== null && held.self === self && held.revision === revision) return held.built;
    const { streams, machines } = this.build();
    this.buildCount++;
    const built: BuiltView = {
      streams: Object.freeze(streams),
      byId: new Map(streams.map((s) => [s.id, Object.freeze(s)])),
      machines: Object.freeze(machines),
    };
    this.held = { self, revision, built };
    return built;
  }
}
