/**
 * Functions that run inside the page (serialised by Playwright), so each must be self-contained.
 * They observe the real client without changing it.
 */

/** Name of the window counter `countDecodedFrames` maintains. */
export const DECODED_FRAMES_KEY = '__e2eDecodedFrames';

/**
 * Init script: wraps `VideoDecoder` so every frame it outputs bumps `window.__e2eDecodedFrames`,
 * whatever decoder instance the client builds (it rebuilds one after an error).
 */
export function countDecodedFrames(): void {
  const w = window as unknown as Record<string, unknown> & { VideoDecoder?: typeof VideoDecoder };
  w.__e2eDecodedFrames = 0;
  const Original = w.VideoDecoder;
  if (Original === undefined) return;
  w.VideoDecoder = class extends Original {
    constructor(init: VideoDecoderInit) {
      super({
        ...init,
        output: (frame: VideoFrame) => {
          w.__e2eDecodedFrames = (w.__e2eDecodedFrames as number) + 1;
          init.output(frame);
        },
      });
    }
  };
}

/** Name of the window list `recordPaints` fills: the wall-clock ms of every video frame painted. */
export const PAINTS_KEY = '__e2ePaints';
/** Name of the window list `recordPaints` fills: the wall-clock ms at which each watch socket opened. */
export const WATCH_OPENS_KEY = '__e2eWatchOpens';
/** Name of the window list `recordPaints` fills: every text the `moved-notice` line showed. */
export const NOTICES_KEY = '__e2eNotices';

/**
 * Init script: records when each decoded video frame is painted (the player draws a VideoFrame onto
 * its canvas) and when each watch socket opens, in wall-clock ms (the host's clock, as Date.now() in
 * the test), so a test can measure gaps in the picture and how long a move took to show; and what the
 * "stream moved" line said.
 */
export function recordPaints(): void {
  const w = window as unknown as Record<string, unknown>;
  const paints: number[] = [];
  const opens: number[] = [];
  const notices: string[] = [];
  w.__e2ePaints = paints;
  w.__e2eWatchOpens = opens;
  w.__e2eNotices = notices;
  // Watched in the page, so a notice shown between two reads of the test is not missed.
  new MutationObserver(() => {
    const text = document.querySelector('[data-testid="moved-notice"]')?.textContent ?? '';
    if (text !== '' && notices.at(-1) !== text) notices.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (this: CanvasRenderingContext2D, ...args: unknown[]) {
    if (typeof VideoFrame === 'function' && args[0] instanceof VideoFrame) {
      paints.push(Date.now());
      // Bounded: about ten minutes at 30 fps.
      if (paints.length > 20_000) paints.splice(0, paints.length - 20_000);
    }
    return (draw as (...a: unknown[]) => void).apply(this, args);
  } as typeof draw;
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      if (String(url).includes('/ws/watch/')) this.addEventListener('open', () => opens.push(Date.now()));
    }
  };
}

/**
 * Init script for a creator without a camera: every `getUserMedia` call is refused the way a browser
 * refuses it when the user denies the permission (a NotAllowedError), so the page must fall back.
 */
export function denyCamera(): void {
  const devices = navigator.mediaDevices as MediaDevices | undefined;
  if (devices === undefined) return;
  devices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
}

/**
 * How many distinct colours (quantised to 4 bits a channel) a downscaled copy of the canvas has:
 * 1 for a blank or single-colour canvas, dozens for a test pattern or camera picture.
 */
export function canvasColourCount(canvas: HTMLCanvasElement | OffscreenCanvas | Element): number {
  if (!(canvas instanceof HTMLCanvasElement)) return 0;
  const copy = document.createElement('canvas');
  copy.width = 64;
  copy.height = 36;
  const ctx = copy.getContext('2d');
  if (ctx === null || canvas.width === 0 || canvas.height === 0) return 0;
  ctx.drawImage(canvas, 0, 0, copy.width, copy.height);
  const { data } = ctx.getImageData(0, 0, copy.width, copy.height);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    colours.add(((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4));
  }
  return colours.size;
}

/** The test pattern's colour bars (client/src/pages/live/capture.ts), left to right, as RGB. */
export const PATTERN_BARS_RGB: ReadonlyArray<readonly [number, number, number]> = [
  [0xc0, 0xc0, 0xc0],
  [0xc0, 0xc0, 0x00],
  [0x00, 0xc0, 0xc0],
  [0x00, 0xc0, 0x00],
  [0xc0, 0x00, 0xc0],
  [0xc0, 0x00, 0x00],
  [0x00, 0x00, 0xc0],
];

/**
 * How many of the test pattern's colour bars the canvas shows where the pattern draws them (the
 * centre of each bar, near the top, away from the sweeping box), each channel within `tolerance`
 * of the drawn colour (video compression shifts flat colours a little). 7 means the pattern.
 */
export function patternBarsSeen(
  canvas: HTMLCanvasElement | OffscreenCanvas | Element,
  arg: { bars: ReadonlyArray<readonly [number, number, number]>; tolerance: number },
): number {
  if (!(canvas instanceof HTMLCanvasElement) || canvas.width === 0 || canvas.height === 0) return 0;
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d');
  if (ctx === null) return 0;
  ctx.drawImage(canvas, 0, 0);
  const y = Math.floor(canvas.height * 0.2);
  let seen = 0;
  arg.bars.forEach((rgb, i) => {
    const x = Math.floor(((i + 0.5) / arg.bars.length) * canvas.width);
    const { data } = ctx.getImageData(x, y, 1, 1);
    if (rgb.every((c, k) => Math.abs(data[k]! - c) <= arg.tolerance)) seen++;
  });
  return seen;
}
