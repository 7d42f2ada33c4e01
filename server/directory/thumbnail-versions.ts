import type { StreamSummary } from '../streams/source.ts';
import type { SnapshotStream } from './snapshot.ts';
import type { DirectoryView } from './view.ts';

/**
 * Which thumbnail versions this Machine holds (the thumbnails plugin tells the directory, which
 * carries them): its own, for streams it hosts, go into its snapshot; its copies of peers' ones are what
 * its public view names, so a page that sees a version here can load it from this Machine at once.
 */
export interface ThumbnailVersions {
  /** The latest thumbnail of a stream hosted here, if it has one. */
  own(streamId: string): number | undefined;
  /** The copy held of a peer-hosted stream's thumbnail, if it came from that home. */
  copy(streamId: string, homeId: string): number | undefined;
}

/** This Machine's streams as its snapshot carries them: each with its own thumbnail's version, if any. */
export function withOwnThumbnails(streams: readonly StreamSummary[], versions: ThumbnailVersions): SnapshotStream[] {
  return streams.map((s) => {
    const thumbnail = versions.own(s.id);
    return thumbnail === undefined ? s : { ...s, thumbnail };
  });
}

/** True when both lists name the same thumbnail version for every stream (in the same order). */
export function sameThumbnails(a: readonly SnapshotStream[], b: readonly SnapshotStream[]): boolean {
  return a.length === b.length && a.every((s, i) => s.id === b[i]!.id && s.thumbnail === b[i]!.thumbnail);
}

/**
 * The public view with each peer-hosted stream's thumbnail version replaced by the one this Machine
 * holds a copy of (absent while it has none). Its own streams keep their own versions.
 */
export function withServedThumbnails(view: DirectoryView, selfId: string, versions: ThumbnailVersions): DirectoryView {
  return {
    ...view,
    streams: view.streams.map((s) => {
      if (s.machineId === selfId) return s;
      const { thumbnail: _advertised, ...rest } = s;
      const held = versions.copy(s.id, s.machineId);
      return held === undefined ? rest : { ...rest, thumbnail: held };
    }),
  };
}
