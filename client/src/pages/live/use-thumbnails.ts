import { useEffect, useRef } from 'preact/hooks';
import { isPublishing } from '../../lib/publish-logic.ts';
import { ThumbnailUploader } from './thumbnail-uploader.ts';
import type { PublishSession } from './use-publisher.ts';

/**
 * Thumbnails of the stream being published: the first when the home first says it is live, then on
 * the home's schedule, until the stream stops (or the page goes).
 */
export function useThumbnailUploads(canvas: { current: HTMLCanvasElement | null }, session: PublishSession | null) {
  const uploader = useRef<ThumbnailUploader | null>(null);
  const live = session?.view.state === 'live';
  const publishing = session !== null && isPublishing(session.view.state);

  useEffect(() => {
    if (!live || uploader.current !== null || canvas.current === null || session === null) return;
    uploader.current = new ThumbnailUploader(canvas.current, session.created);
    uploader.current.start();
  }, [live, session?.created.id]);

  useEffect(() => {
    if (publishing) return;
    uploader.current?.stop();
    uploader.current = null;
  }, [publishing]);

  useEffect(() => () => uploader.current?.stop(), []);
}
