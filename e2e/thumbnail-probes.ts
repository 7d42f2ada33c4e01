/**
 * Pixel probes for thumbnails, run inside the page (serialised by Playwright, so each is self-contained):
 * a picture as the mean colour of each cell of a grid, measured the same way for a card's `<img>` and
 * for the bytes the creator's page uploaded, so the two can be compared.
 */

/** Grid of a probe: 32 x 18 cells over a 320 x 180 picture. */
export const GRID = { cols: 32, rows: 18, width: 320, height: 180 } as const;

export interface GridArgs {
  grid: typeof GRID;
  /** Measure these bytes (an uploaded still, base64) instead of the element. */
  base64?: string;
}

/**
 * Mean RGB of each cell, of the element (an `<img>`: its own pixels, not the page's scaled rendering)
 * or of `base64` decoded in the page. Run it with `locator.evaluate(pictureGrid, args)`.
 */
export async function pictureGrid(element: Element, args: GridArgs): Promise<number[]> {
  const { grid } = args;
  let image: CanvasImageSource;
  if (args.base64 !== undefined) {
    const raw = atob(args.base64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    image = await createImageBitmap(new Blob([bytes]));
  } else {
    image = element as HTMLImageElement;
  }
  const canvas = document.createElement('canvas');
  canvas.width = grid.width;
  canvas.height = grid.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(image, 0, 0, grid.width, grid.height);
  const { data } = ctx.getImageData(0, 0, grid.width, grid.height);
  const cw = grid.width / grid.cols;
  const ch = grid.height / grid.rows;
  const out: number[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let y = r * ch; y < (r + 1) * ch; y++) {
        for (let x = c * cw; x < (c + 1) * cw; x++) {
          const i = (y * grid.width + x) * 4;
          red += data[i]!;
          green += data[i + 1]!;
          blue += data[i + 2]!;
        }
      }
      out.push(red / (cw * ch), green / (cw * ch), blue / (cw * ch));
    }
  }
  return out;
}

/** Mean absolute difference of two grids, per channel (0-255). */
export function gridDistance(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * Init script: counts, per page, how often a stream card that had shown a thumbnail went without one
 * (`window.__e2eThumbnailGaps`): a flicker back to the placeholder between two pictures.
 */
export function watchThumbnailGaps(): void {
  const w = window as unknown as Record<string, unknown>;
  w.__e2eThumbnailGaps = 0;
  const shown = new WeakSet<Element>();
  const check = () => {
    for (const card of document.querySelectorAll('[data-testid="stream-card"]')) {
      const img = card.querySelector('[data-testid="stream-thumbnail"]') as HTMLImageElement | null;
      if (img?.complete && img.naturalWidth > 0) shown.add(card);
      else if (shown.has(card)) w.__e2eThumbnailGaps = (w.__e2eThumbnailGaps as number) + 1;
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

/** Where `recordShownThumbnails` keeps its times: `"<streamId> <version>"` -> wall clock (ms). */
export const SHOWN_AT_KEY = '__e2eShownAt';

export function shownKey(streamId: string, version: number): string {
  return `${streamId} ${version}`;
}

/**
 * Init script: notes, in the page, when each card's picture first shows a version (the wall clock, as
 * the creator's page notes when it sent it), so the time from upload to screen leaves out the test's own
 * reads of the page.
 */
export function recordShownThumbnails(): void {
  const shownAt: Record<string, number> = {};
  (window as unknown as Record<string, unknown>).__e2eShownAt = shownAt;
  const check = () => {
    const now = Date.now();
    for (const card of document.querySelectorAll('[data-testid="stream-card"]')) {
      const img = card.querySelector('[data-testid="stream-thumbnail"]');
      const id = card.getAttribute('data-stream-id');
      const version = img?.getAttribute('data-version');
      if (id === null || version === null || version === undefined) continue;
      shownAt[`${id} ${version}`] ??= now;
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

/** What `recordThumbnailUploads` keeps of each upload the home took. */
export interface RecordedUpload {
  version: number;
  /** The still itself, base64. */
  base64: string;
  /** Wall clock (ms) when the page sent it. */
  sentAt: number;
  headers: Record<string, string>;
}

/**
 * Init script for the creator's page: wraps `fetch` so each thumbnail upload the home answered 200 is
 * kept in `window.__e2eUploads` with its bytes and the version the home gave it (the page's own request
 * body is a Blob, which the browser's devtools protocol does not hand over).
 */
export function recordThumbnailUploads(): void {
  const w = window as unknown as Record<string, unknown>;
  const uploads: unknown[] = [];
  w.__e2eUploads = uploads;
  const original = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const sentAt = Date.now();
    const response = await original(input, init);
    if (init?.method === 'PUT' && url.endsWith('/thumbnail') && init.body instanceof Blob && response.status === 200) {
      const bytes = new Uint8Array(await init.body.arrayBuffer());
      let raw = '';
      for (const b of bytes) raw += String.fromCharCode(b);
      const { version } = (await response.clone().json()) as { version: number };
      uploads.push({ version, base64: btoa(raw), sentAt, headers: { ...(init.headers as Record<string, string>) } });
    }
    return response;
  };
}
