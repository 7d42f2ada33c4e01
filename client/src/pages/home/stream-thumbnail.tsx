import { useEffect, useState } from 'preact/hooks';
import { type ShownThumbnail, shouldShow, thumbnailUrl } from '../../lib/thumbnail.ts';

/**
 * The card's picture: the stream's latest thumbnail, loaded from the Machine that served the page (any
 * Machine serves its own copy, so no request is replayed). A new version is loaded and decoded off
 * screen first and only then swapped in, so the card never flickers or shows a half-loaded picture;
 * until the first one arrives the card keeps its placeholder.
 */
export function StreamThumbnail({ id, version }: { id: string; version: number | undefined }) {
  const [shown, setShown] = useState<ShownThumbnail | null>(null);

  useEffect(() => {
    if (version === undefined) return;
    let cancelled = false;
    const src = thumbnailUrl(id, version);
    const img = new Image();
    img.src = src;
    img
      .decode()
      .then(() => {
        if (!cancelled) setShown((now) => (shouldShow(now, { version, src }) ? { version, src } : now));
      })
      // A version that fails to load leaves the last one on screen; the next version tries again.
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [id, version]);

  if (shown === null) return null;
  return <img class="thumb-img" src={shown.src} alt="" data-testid="stream-thumbnail" data-version={shown.version} />;
}
