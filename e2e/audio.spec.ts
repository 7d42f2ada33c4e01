import type { Browser, BrowserContext, Page } from '@playwright/test';
import { RECONNECT_BACKOFF } from '../client/src/lib/reconnect.ts';
import { FLASH_BOX } from '../client/src/lib/test-signal.ts';
import { encodeAudioPayload } from '../shared/audio-packets.ts';
import { decodeFrame, encodeFrame, PROTOCOL_VERSION, TRACK_AUDIO, TRACK_VIDEO } from '../shared/protocol.ts';
import {
  avPairs,
  installSoundProbe,
  type Level,
  levelsFrom,
  loudestSince,
  loudestWithin,
  PROBE_MODULE,
  percentile,
  SOUND_PROBE_CONTEXT,
  type SoundRecord,
  soundNow,
  soundRecord,
  syncRecord,
} from './audio-probes.ts';
import { startedMachines } from './cluster.ts';
import { directoryOn, edge, expect, newWatcherContext, reportTiming, test } from './helpers.ts';
import { denyCamera } from './page-probes.ts';

/** ITU-R BT.1359: sound ahead of picture is detectable from about 45 ms. */
const AV_OFFSET_LIMIT_MS = 45;
/** Beeps (one a second) measured for the sync figure. */
const MIN_PAIRS = 20;
/** RMS at the speakers above which the sound is "heard" (silence is exactly 0). */
const HEARD_RMS = 0.001;
/** The late joiner's sound is checked over this long after its first picture. */
const LATE_JOIN_SPAN_MS = 2000;
/** The demo's beep: amplitude 0.5, so about 0.35 RMS at full volume over a 50 ms window inside it. */
const DEMO_BEEP_RMS_FULL = 0.3;

/**
 * No Playwright trace in this file: it records a screencast of every page, which takes the very CPU
 * whose lateness the timing tests would then measure.
 */
test.use({ trace: 'off' });

/** A viewer context whose pages carry the sound probe (and count decoded frames). */
async function listeningContext(browser: Browser): Promise<BrowserContext> {
  const context = await newWatcherContext(browser, SOUND_PROBE_CONTEXT);
  await context.addInitScript(installSoundProbe, {
    module: PROBE_MODULE,
    flashX: FLASH_BOX.x + FLASH_BOX.width / 2,
    flashY: FLASH_BOX.y + FLASH_BOX.height / 2,
  });
  return context;
}

const now = (page: Page) => page.evaluate(() => performance.now());

/**
 * Sound played this long after a change of volume or mute is played with it: the change reaches the
 * audio thread within a render quantum or two of the page setting it; the rest is margin.
 */
const LEVEL_SETTLE_S = 0.2;

/**
 * The loudest RMS at the speakers over the next `ms` of sound (from LEVEL_SETTLE_S on): a stretch of
 * the page's own audio clock, waited for until it has been played, so a busy machine that plays it
 * late cannot shorten it (with beeps once a second, 1.2 s of it holds one).
 */
async function loudestOver(page: Page, ms: number): Promise<number> {
  const start = await soundNow(page);
  expect(start, 'the page has an AudioContext').not.toBeNull();
  const fromS = start!.nowS + LEVEL_SETTLE_S;
  const toS = fromS + ms / 1000;
  let levels: Level[] = [];
  await expect
    .poll(
      async () => {
        levels = await levelsFrom(page, start!.context, fromS);
        return levels.some((l) => l.endS >= toS);
      },
      { message: `${ms} ms of sound played (the AudioContext runs)`, timeout: ms + 20_000 },
    )
    .toBe(true);
  return loudestWithin(levels, fromS, toS);
}

async function dfwDemoStream(): Promise<{ id: string; machineId: string }> {
  const dfw = (await startedMachines()).filter((m) => m.region === 'dfw');
  const ams = (await startedMachines()).find((m) => m.region === 'ams')!;
  const stream = (await directoryOn(ams.id)).streams.find((s) => dfw.some((m) => m.id === s.machineId));
  expect(stream, 'a demo stream hosted in dfw').toBeDefined();
  return stream!;
}

test('a creator with the fake camera and microphone on the dfw edge is heard on the ams edge after "Unmute"', async ({
  browser,
}) => {
  const creatorContext = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const viewerContext = await listeningContext(browser);
  try {
    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'camera');
    await expect(creator.getByTestId('sound-input')).toHaveAttribute('data-choice', 'mic');
    await expect(creator.getByRole('button', { name: 'Mute microphone' })).toBeVisible();
    await creator.getByLabel('Title').fill(`e2e sound ${Date.now().toString(36)}`);
    await creator.getByLabel('Your name').fill('e2e-mic');
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    await expect
      .poll(async () => Number(await creator.getByTestId('audio-frames-sent').textContent()))
      .toBeGreaterThan(0);

    const share = await creator.getByTestId('share-link').inputValue();
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${edge('ams')}${new URL(share).pathname}${new URL(share).search}`);
    await expect(viewer.locator('body')).toHaveAttribute('data-edge-region', 'ams');
    await expect(viewer.getByTestId('sound')).toHaveAttribute('data-state', 'muted');
    expect(await loudestOver(viewer, 1500), 'nothing heard while muted').toBe(0);
    const unmutedAt = await now(viewer);
    await viewer.getByRole('button', { name: 'Unmute' }).click();
    await expect(viewer.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    // The fake microphone beeps now and then: wait for one to come through.
    await expect
      .poll(async () => loudestSince(await soundRecord(viewer), unmutedAt), { timeout: 15_000 })
      .toBeGreaterThan(HEARD_RMS);
    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
  } finally {
    await creatorContext.close();
    await viewerContext.close();
  }
});

test('the demo streams have sound; mute, volume and the remembered choice work', async ({ browser }) => {
  // Each level check waits for its stretch of sound to be played, which a busy machine makes slower.
  test.setTimeout(120_000);
  const stream = await dfwDemoStream();
  const context = await listeningContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${stream.machineId}`);
    await expect(page.getByTestId('sound')).toHaveAttribute('data-state', 'muted');
    await page.getByRole('button', { name: 'Unmute' }).click();
    await expect(page.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    const volume = page.getByLabel('Volume');
    await volume.fill('100');
    await expect.poll(() => loudestOver(page, 1200), { timeout: 20_000 }).toBeGreaterThan(DEMO_BEEP_RMS_FULL);
    await volume.fill('25');
    // A quarter of the volume: the beep still heard, and well under half as loud.
    let quarter = 0;
    await expect
      .poll(async () => (quarter = await loudestOver(page, 1200)), { timeout: 20_000 })
      .toBeGreaterThan(DEMO_BEEP_RMS_FULL / 4 - 0.03);
    expect(quarter, 'the beep at a quarter of the volume').toBeLessThan(DEMO_BEEP_RMS_FULL / 2);
    await page.getByRole('button', { name: 'Mute' }).click();
    await expect(page.getByTestId('sound')).toHaveAttribute('data-state', 'muted');
    expect(await loudestOver(page, 1200), 'muted: silence').toBe(0);

    // Unmuted at a quarter of the volume, the next visit starts that way.
    await page.getByRole('button', { name: 'Unmute' }).click();
    await page.reload();
    await expect(page.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    await expect(page.getByLabel('Volume')).toHaveValue('25');
    await expect.poll(() => loudestOver(page, 1200), { timeout: 20_000 }).toBeGreaterThan(HEARD_RMS);
  } finally {
    await context.close();
  }
});

test('a viewer joining late hears sound from its first picture on', async ({ browser }) => {
  const stream = await dfwDemoStream();
  const context = await listeningContext(browser);
  // A viewer who unmuted on an earlier visit.
  await context.addInitScript(() => localStorage.setItem('replaycast:sound', '{"muted":false,"volume":1}'));
  try {
    const page = await context.newPage();
    await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${stream.machineId}`);
    await expect(page.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    await expect.poll(async () => (await soundRecord(page)).firstPaintMs, { timeout: 15_000 }).not.toBeNull();
    // Until the page has scheduled the sound of the first LATE_JOIN_SPAN_MS after its first picture.
    let record: SoundRecord = await soundRecord(page);
    const firstPaint = record.firstPaintMs!;
    await expect
      .poll(
        async () => {
          record = await soundRecord(page);
          return record.soundStarts.some((t) => t >= firstPaint + LATE_JOIN_SPAN_MS);
        },
        { message: 'sound scheduled past the first 2 s of pictures', timeout: 20_000 },
      )
      .toBe(true);
    const firstSound = Math.min(...record.soundStarts);
    reportTiming('late joiner: first sound minus first picture', firstSound - firstPaint);
    // The picture waits for the sound: its first frame is shown with the sound already playing.
    expect(firstSound, 'sound starts no later than the first picture').toBeLessThanOrEqual(
      firstPaint + AV_OFFSET_LIMIT_MS,
    );
    // ... and goes on from there: 60 ms buffers back to back (33 in 2 s), a few lost to a restart at most.
    const after = record.soundStarts.filter((t) => t > firstPaint && t < firstPaint + LATE_JOIN_SPAN_MS);
    expect(after.length, 'sound buffers in the 2 s after the first picture').toBeGreaterThanOrEqual(25);
    await expect.poll(() => loudestOver(page, 1200), { timeout: 20_000 }).toBeGreaterThan(DEMO_BEEP_RMS_FULL);
  } finally {
    await context.close();
  }
});

/**
 * Routes the page's watch socket through the test, which replaces the payload of every frame of
 * `track` with `payload` (the rest passes untouched, both ways).
 */
async function breakTrack(page: Page, track: number, payload: Uint8Array): Promise<void> {
  await page.routeWebSocket(/\/ws\/watch\//, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      const frame = typeof message === 'string' ? null : decodeFrame(new Uint8Array(message));
      if (frame?.ok && frame.value.track === track) ws.send(Buffer.from(encodeFrame({ ...frame.value, payload })));
      else ws.send(message);
    });
  });
}

/** An Opus packet no decoder accepts: code 3 ("M frames") with M = 0 (RFC 6716 3.2.5). */
const BAD_OPUS_PACKET = Uint8Array.of(0x03, 0x00);
/** Not a VP8 frame: no start code where a keyframe must have one. */
const BAD_VP8_FRAME = new Uint8Array(64).fill(0xa5);

test('a broken track does not stop the other: undecodable sound leaves the picture moving, undecodable pictures leave the sound playing', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const stream = await dfwDemoStream();
  const watchUrl = `${edge('ams')}/watch/${stream.id}?instance=${stream.machineId}`;
  const context = await listeningContext(browser);
  await context.addInitScript(() => localStorage.setItem('replaycast:sound', '{"muted":false,"volume":1}'));
  try {
    const deaf = await context.newPage();
    await breakTrack(deaf, TRACK_AUDIO, encodeAudioPayload([{ offsetUs: 0, data: BAD_OPUS_PACKET }]));
    await deaf.goto(watchUrl);
    // The audio decoder fails on every packet: rebuilt twice, then given up, and the page says so.
    await expect(deaf.getByTestId('sound')).toHaveAttribute('data-state', 'unsupported');
    await expect(deaf.getByTestId('sound')).toContainText("cannot play this stream's sound");
    const paintedThen = (await soundRecord(deaf)).paints;
    // 30 more pictures is a second of the demo's 30 fps: the picture goes on at its own pace.
    await expect
      .poll(async () => (await soundRecord(deaf)).paints, { message: 'pictures painted', timeout: 20_000 })
      .toBeGreaterThanOrEqual(paintedThen + 30);
    await deaf.close();

    const blind = await context.newPage();
    await breakTrack(blind, TRACK_VIDEO, BAD_VP8_FRAME);
    await blind.goto(watchUrl);
    // The video decoder fails on every keyframe: rebuilt twice, then given up.
    await expect(blind.getByTestId('video')).toHaveAttribute('data-player-status', 'unsupported');
    await expect(blind.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    await expect.poll(() => loudestOver(blind, 1200), { timeout: 30_000 }).toBeGreaterThan(DEMO_BEEP_RMS_FULL);
    expect((await soundRecord(blind)).paints, 'no picture painted').toBe(0);
  } finally {
    await context.close();
  }
});

/** Longer than the relay's VIEWER_MAX_LAG_MS (2 s): long enough to be taken for a slow viewer. */
const KEYFRAME_WAIT_US = 3_000_000;

test('a picture waiting for a keyframe after a decoder error keeps its socket, its sound, and plays again at the next keyframe', async ({
  browser,
}) => {
  const stream = await dfwDemoStream();
  const context = await listeningContext(browser);
  await context.addInitScript(() => localStorage.setItem('replaycast:sound', '{"muted":false,"volume":1}'));
  try {
    const page = await context.newPage();
    let sockets = 0;
    let brokenAtUs: number | null = null;
    await page.routeWebSocket(/\/ws\/watch\//, (ws) => {
      sockets++;
      const server = ws.connectToServer();
      server.onMessage((message) => {
        const frame = typeof message === 'string' ? null : decodeFrame(new Uint8Array(message));
        if (!frame?.ok || frame.value.track !== TRACK_VIDEO || !frame.value.keyframe) {
          ws.send(message);
        } else if (brokenAtUs === null) {
          // The first keyframe does not decode; the next ones are held back for KEYFRAME_WAIT_US of the
          // stream's time (their deltas and the sound still arrive).
          brokenAtUs = frame.value.timestampUs;
          ws.send(Buffer.from(encodeFrame({ ...frame.value, payload: BAD_VP8_FRAME })));
        } else if (frame.value.timestampUs >= brokenAtUs + KEYFRAME_WAIT_US) {
          ws.send(message);
        }
      });
    });
    await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${stream.machineId}`);
    await expect.poll(() => brokenAtUs, { message: 'the first keyframe broken' }).not.toBeNull();
    // The sound plays on (it does not wait for a picture that is not playing).
    await expect.poll(() => loudestOver(page, 1200), { timeout: 20_000 }).toBeGreaterThan(DEMO_BEEP_RMS_FULL);
    // Nothing decodes before the first keyframe let through, so "playing" is the picture back.
    await expect(page.getByTestId('video')).toHaveAttribute('data-player-status', 'playing', { timeout: 20_000 });
    expect(sockets, 'on the same socket (a viewer taken for slow would be closed, then reconnect)').toBe(1);
  } finally {
    await context.close();
  }
});

test("A/V sync at a viewer: the test pattern's beep and flash, replayed from dfw to ams, |offset| <= 45 ms at p95 over 20+ beeps", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const creatorContext = await browser.newContext();
  await creatorContext.addInitScript(denyCamera);
  const viewerContext = await listeningContext(browser);
  try {
    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'pattern');
    await expect(creator.getByTestId('sound-input')).toHaveAttribute('data-choice', 'tone');
    await expect(creator.getByTestId('sound-note')).toContainText(/microphone permission was denied.*test tone/);
    await creator.getByLabel('Title').fill(`e2e sync ${Date.now().toString(36)}`);
    await creator.getByLabel('Your name').fill('e2e-sync');
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    const share = new URL(await creator.getByTestId('share-link').inputValue());

    const viewer = await viewerContext.newPage();
    await viewer.goto(`${edge('ams')}${share.pathname}${share.search}`);
    await expect(viewer.locator('body')).toHaveAttribute('data-edge-region', 'ams');
    await expect(viewer.getByTestId('routing-proof')).toHaveAttribute('data-verdict', 'same-machine');
    await viewer.getByRole('button', { name: 'Unmute' }).click();
    await expect(viewer.getByTestId('sound')).toHaveAttribute('data-state', 'playing');
    // Once both are flowing, count afresh: the start (sound finding the live edge) is not the figure.
    const paired = async () => avPairs(await syncRecord(viewer)).filter((p) => p !== null).length;
    await expect
      .poll(paired, { timeout: 20_000 })
      .toBeGreaterThan(1)
      .catch(async (err: unknown) => {
        const r = await syncRecord(viewer);
        const shown = await viewer.getByTestId('decoded-count').textContent();
        console.log(`no pairs: ${r.flashes.length} flashes painted, ${r.beeps.length} beeps heard, decoded ${shown}`);
        throw err;
      });
    const skip = (await syncRecord(viewer)).flashes.length;
    // The last flash's beep may still be on its way: it is left out.
    const measured = (record: Pick<SoundRecord, 'beeps' | 'flashes'>) => avPairs(record).slice(skip, -1);
    await expect
      .poll(async () => measured(await syncRecord(viewer)).filter((p) => p !== null).length, {
        timeout: 120_000,
        intervals: [2000],
      })
      .toBeGreaterThanOrEqual(MIN_PAIRS);
    const record = await syncRecord(viewer);
    const pairs = measured(record);
    const offsets = pairs.filter((p) => p !== null);
    const abs = offsets.map(Math.abs);
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    reportTiming(`A/V offset (beep - flash) p50 |offset| over ${offsets.length} beeps`, percentile(abs, 50));
    reportTiming('A/V offset p95 |offset|', percentile(abs, 95));
    reportTiming('A/V offset max |offset|', Math.max(...abs));
    reportTiming('A/V offset mean (positive: sound after picture)', mean);
    console.log(`A/V offsets (ms): ${offsets.map((o) => o.toFixed(1)).join(' ')}`);
    const unpaired = `flashes painted without their beep heard: ${pairs.length - offsets.length} of ${pairs.length}`;
    test.info().annotations.push({ type: 'count', description: unpaired });
    console.log(unpaired);
    // Beeps lost to a stalled page (the stall gate silences them) or to a sound that starts again: a few.
    expect(offsets.length / pairs.length, 'share of flashes painted with their beep heard').toBeGreaterThanOrEqual(
      0.75,
    );
    expect(percentile(abs, 95), 'p95 |beep - flash| in ms').toBeLessThanOrEqual(AV_OFFSET_LIMIT_MS);
    await creator.getByRole('button', { name: 'Stop streaming' }).click();
  } finally {
    await creatorContext.close();
    await viewerContext.close();
  }
});
/** Marks the test's own socket in `socketsAfterTimers`. */
const SENTINEL_PARAM = 'e2e-sentinel';

/**
 * Runs the page's timers past the longest reconnect backoff (the page's clock must be installed),
 * then opens a socket of the test's own on the same route: `opened` lists, in order, what the route
 * saw, so once the sentinel is in it every socket the page opened before it is too. Returns the
 * page's sockets.
 */
async function socketsAfterTimers(page: Page, streamId: string, opened: string[]): Promise<string[]> {
  await page.clock.runFor(2 * RECONNECT_BACKOFF.maxMs);
  const url = `${edge('ams').replace(/^http/, 'ws')}/ws/watch/${streamId}?${SENTINEL_PARAM}=1`;
  await page.evaluate((u) => void new WebSocket(u), url);
  await expect.poll(() => opened.at(-1)).toBe(SENTINEL_PARAM);
  return opened.slice(0, -1);
}

const sawSocket = (opened: string[], url: string) =>
  opened.push(new URL(url).searchParams.has(SENTINEL_PARAM) ? SENTINEL_PARAM : url);

test('a watch page refuses a server of another protocol version: it says to reload and stops retrying', async ({
  page,
}) => {
  const stream = await dfwDemoStream();
  const watchPath = `/watch/${stream.id}?instance=${stream.machineId}`;
  await page.clock.install();
  const opened: string[] = [];
  // A server one version ahead: its hello may mean anything else, so the page reads only the version.
  await page.routeWebSocket(/\/ws\/watch\//, (ws) => {
    sawSocket(opened, ws.url());
    ws.send(JSON.stringify({ type: 'hello', role: 'viewer', protocolVersion: PROTOCOL_VERSION + 1, frames: 'other' }));
  });
  await page.goto(`${edge('ams')}${watchPath}`);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', 'outdated');
  await expect(page.getByTestId('watch-message')).toContainText(
    `speaks protocol ${PROTOCOL_VERSION} and the stream's Machine speaks ${PROTOCOL_VERSION + 1}: reload`,
  );
  await expect(page.getByRole('button', { name: 'Reload' })).toBeVisible();
  const first = await socketsAfterTimers(page, stream.id, opened);
  expect(first, 'one socket: no retries').toHaveLength(1);
  expect(new URL(first[0]!).searchParams.get('protocol'), 'the page names its version').toBe(String(PROTOCOL_VERSION));

  // The real server's answer to a page of another version: close 4010; the page says the same.
  const other = await page.context().newPage();
  await other.clock.install();
  const otherOpened: string[] = [];
  await other.routeWebSocket(/\/ws\/watch\//, (ws) => {
    sawSocket(otherOpened, ws.url());
    if (new URL(ws.url()).searchParams.has(SENTINEL_PARAM)) return;
    ws.close({ code: 4010, reason: 'protocol version "2" is not spoken here: this server speaks 3; reload the page' });
  });
  await other.goto(`${edge('ams')}${watchPath}`);
  await expect(other.getByTestId('watch-state')).toHaveAttribute('data-state', 'outdated');
  await expect(other.getByTestId('watch-message')).toContainText(/out of date.*reload/i);
  expect(await socketsAfterTimers(other, stream.id, otherOpened), 'one socket: no retries').toHaveLength(1);
});
