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
  w['__e2eDecodedFrames'] = 0;
  const Original = w.VideoDecoder;
  if (Original === undefined) return;
  w.VideoDecoder = class extends Original {
    constructor(init: VideoDecoderInit) {
      super({
        ...init,
        output: (frame: VideoFrame) => {
          w['__e2eDecodedFrames'] = (w['__e2eDecodedFrames'] as number) + 1;
          init.output(frame);
        },
      });
    }
  };
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
