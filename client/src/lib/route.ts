import { isStreamId } from '../../../shared/stream-id.ts';

/**
 * Which page a path shows. Navigation between pages is always a full page load on purpose: the
 * request for `/watch/<id>?instance=<home>` is what Fly's proxy replays to the stream's home
 * Machine, so a client-side router would skip the very hop this app demonstrates.
 */
export type PageRoute =
  | { page: 'home' }
  | { page: 'watch'; streamId: string }
  | { page: 'live' }
  | { page: 'not-found' };

export function routeFor(pathname: string): PageRoute {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  if (path === '/' || path === '') return { page: 'home' };
  if (path === '/live') return { page: 'live' };
  const watch = /^\/watch\/([^/]+)$/.exec(path);
  if (watch) {
    let id: string;
    try {
      id = decodeURIComponent(watch[1]!);
    } catch {
      return { page: 'not-found' };
    }
    // Anything but a ULID cannot name a stream: "Page not found" at once, no lookup.
    if (isStreamId(id)) return { page: 'watch', streamId: id };
  }
  return { page: 'not-found' };
}
