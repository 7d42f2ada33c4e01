import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../streams/log.ts';
import type { CreateResult } from '../streams/registry.ts';
import { loadDemoAudio } from './demo-audio.ts';
import { DemoPublisher } from './demo-publisher.ts';
import { type IvfFile, parseIvf } from './ivf.ts';

export const DEMO_FIXTURE_FILE = 'testsrc-320x180-vp8.ivf';
export const DEMO_CREATOR = 'replaycast';

let cached: IvfFile | null = null;

/** The committed fixture (server/demo/make-fixture.sh), parsed once per process. */
export function loadDemoFixture(): IvfFile {
  if (cached === null) {
    const parsed = parseIvf(new Uint8Array(readFileSync(join(import.meta.dirname, DEMO_FIXTURE_FILE))));
    if (!parsed.ok) throw new Error(`demo fixture ${DEMO_FIXTURE_FILE}: ${parsed.error}`);
    cached = parsed.value;
  }
  return cached;
}

/** Where demo streams are created: the relay (`app.streams`). */
export interface StreamCreator {
  create(meta: { title: string; creator: string }): CreateResult;
}

/** Runs `count` synthetic streams on this Machine until stop(). */
export class DemoStreams {
  private readonly publishers: DemoPublisher[] = [];

  constructor(
    private readonly streams: StreamCreator,
    private readonly log: Log,
    private readonly region: string | null,
  ) {}

  /** Starts `count` more demo streams; returns their ids. */
  start(count: number): string[] {
    if (count <= 0) return [];
    const fixture = loadDemoFixture();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.publishers.length + 1;
      const created = this.streams.create({
        title: `Test pattern ${n}${this.region ? ` from ${this.region}` : ''}`,
        creator: DEMO_CREATOR,
      });
      if (!created.ok) {
        this.log.warn({ reason: created.error }, 'demo stream not started');
        break;
      }
      const publisher = new DemoPublisher(created.stream, fixture, loadDemoAudio());
      publisher.start();
      this.publishers.push(publisher);
      ids.push(created.stream.id);
    }
    this.log.info({ count: ids.length }, 'demo streams started');
    return ids;
  }

  stop(): void {
    for (const p of this.publishers) p.stop();
    this.publishers.length = 0;
  }
}
