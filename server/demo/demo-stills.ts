import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../streams/log.ts';
import type { PutOutcome } from '../thumbnails/plugin.ts';

/** Folder of the demo streams' thumbnails, beside the fixture (server/demo/make-fixture.sh makes both). */
export const DEMO_STILLS_DIR = 'stills';
const STILL_NAME = /^testsrc-(\d+)\.jpg$/;

let cached: Buffer[] | null = null;

/** The committed stills, in the order of the video (testsrc-1.jpg, testsrc-2.jpg, ...), read once per process. */
export function loadDemoStills(): Buffer[] {
  if (cached === null) {
    const dir = join(import.meta.dirname, DEMO_STILLS_DIR);
    const names = readdirSync(dir)
      .map((name) => ({ name, n: Number(STILL_NAME.exec(name)?.[1]) }))
      .filter((f) => Number.isInteger(f.n))
      .sort((a, b) => a.n - b.n);
    if (names.length === 0)
      throw new Error(`demo stills: none in ${DEMO_STILLS_DIR}/ (run server/demo/make-fixture.sh)`);
    cached = names.map((f) => readFileSync(join(dir, f.name)));
  }
  return cached;
}

/** Which still a demo stream shows at a tick: streams start at different ones so cards differ side by side. */
export function stillIndex(streamNo: number, tick: number, stills: number): number {
  return (streamNo + tick) % stills;
}

/**
 * Gives each demo stream a thumbnail as a creator's page would: a still of the video at once, the next
 * one every `intervalMs`, through the same checks as an upload (`app.thumbnails.put`).
 */
export class DemoStills {
  private readonly streams: string[] = [];
  private stills: readonly Buffer[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;

  /** `load` is called once, when the first demo stream starts (a Machine without any reads no file). */
  constructor(
    private readonly put: (streamId: string, bytes: Buffer) => PutOutcome,
    private readonly load: () => readonly Buffer[],
    private readonly intervalMs: number,
    private readonly log: Log,
  ) {}

  add(ids: readonly string[]): void {
    if (ids.length > 0) this.stills ??= this.load();
    for (const id of ids) {
      this.streams.push(id);
      this.show(id, this.streams.length - 1);
    }
    if (this.timer === null && this.streams.length > 0) {
      this.timer = setInterval(() => this.next(), this.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.streams.length = 0;
  }

  private next(): void {
    this.tick++;
    for (const [i, id] of this.streams.entries()) this.show(id, i);
  }

  private show(id: string, streamNo: number): void {
    const stills = this.stills!;
    const result = this.put(id, stills[stillIndex(streamNo, this.tick, stills.length)]!);
    if (!result.ok && result.status !== 404) this.log.warn({ stream: id, reason: result.error }, 'demo still refused');
  }
}
