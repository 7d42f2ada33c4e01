import { useEffect, useReducer, useState } from 'preact/hooks';
import { backoffDelayMs } from '../../../../shared/backoff.ts';
import {
  DIRECTORY_EVENTS,
  type DirectoryView,
  EMPTY_VIEW,
  parseDirectoryEvent,
  parseView,
  reduceDirectory,
} from '../../lib/directory.ts';
import { RECONNECT_BACKOFF } from '../../lib/reconnect.ts';

export type FeedStatus = 'loading' | 'live' | 'reconnecting';

/**
 * The directory, kept current by the SSE feed. The browser's EventSource retries a dropped feed by
 * itself; when the server refuses it outright (EventSource gives up), we fetch the list once and
 * reopen the feed with backoff.
 */
export function useDirectory(): { view: DirectoryView; loaded: boolean; status: FeedStatus } {
  const [view, dispatch] = useReducer(reduceDirectory, EMPTY_VIEW);
  const [loaded, setLoaded] = useState(false);
  const [status, setStatus] = useState<FeedStatus>('loading');

  useEffect(() => {
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let disposed = false;

    const fetchOnce = () =>
      fetch('/api/streams', { headers: { accept: 'application/json' } })
        .then((res) => (res.ok ? res.json() : null))
        .then((body: unknown) => {
          const parsed = parseView(body);
          if (parsed && !disposed) {
            dispatch({ type: 'state', view: parsed });
            setLoaded(true);
          }
        })
        .catch(() => {});

    const open = () => {
      const es = new EventSource('/api/streams/events');
      source = es;
      es.onopen = () => {
        attempt = 0;
        setStatus('live');
      };
      for (const name of DIRECTORY_EVENTS) {
        es.addEventListener(name, (event) => {
          const action = parseDirectoryEvent(name, (event as MessageEvent<string>).data);
          if (action === null) return;
          dispatch(action);
          if (action.type === 'state') setLoaded(true);
        });
      }
      es.onerror = () => {
        setStatus('reconnecting');
        if (es.readyState !== EventSource.CLOSED) return;
        es.close();
        void fetchOnce();
        timer = setTimeout(open, backoffDelayMs(attempt++, RECONNECT_BACKOFF, Math.random()));
      };
    };
    open();
    return () => {
      disposed = true;
      source?.close();
      clearTimeout(timer);
    };
  }, []);

  return { view, loaded, status };
}
