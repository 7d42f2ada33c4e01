import type { Page } from '@playwright/test';
import { thumbnailUrl } from '../client/src/lib/thumbnail.ts';
import { DEFAULT_THUMBNAIL_LIMITS } from '../server/thumbnails/limits.ts';
import { controlStats, startedMachines } from './cluster.ts';
import { directoryOn, edge, expect, reportTiming, test } from './helpers.ts';
import {
  GRID,
  gridDistance,
  pictureGrid,
  type RecordedUpload,
  recordShownThumbnails,
  recordThumbnailUploads,
  SHOWN_AT_KEY,
  shownKey,
  watchThumbnailGaps,
} from './thumbnail-probes.ts';

/** From the creator's upload to the ams page showing it: the home page follows a stream within 2 s. */
const THUMBNAIL_SHOWN_LIMIT_MS = 2_000;
/**
 * A newer one may also wait for the home to name it in its snapshot (at most once per second, the
 * thumbnails' announceIntervalMs); a stream's first is named at once.
 */
const NEXT_THUMBNAIL_SHOWN_LIMIT_MS = THUMBNAIL_SHOWN_LIMIT_MS + DEFAULT_THUMBNAIL_LIMITS.announceIntervalMs;
/** Mean per-channel difference (0-255) below which two pictures are the same still, decoded twice. */
const SAME_PICTURE_MAX_DISTANCE = 2;

/**
 * Waits until the viewer's page shows `upload` on the card of `streamId`, and returns the ms from its
 * upload to that moment, both noted by the pages themselves (recordShownThumbnails, recordThumbnailUploads)
 * so the test's own polling of the page is not counted. Gives up `timeoutMs` after the upload.
 */
async function msUntilShown(viewer: Page, streamId: string, upload: RecordedUpload, timeoutMs: number, what: string) {
  const key = shownKey(streamId, upload.version);
  const shownAt = (k: string) =>
    viewer.evaluate(([store, k]) => (window as unknown as Record<string, Record<string, number>>)[store]![k], [
      SHOWN_AT_KEY,
      k,
    ] as const);
  await expect
    .poll(() => shownAt(key), { message: what, timeout: Math.max(1, upload.sentAt + timeoutMs - Date.now()) })
    .toBeDefined();
  return (await shownAt(key))! - upload.sentAt;
}

/**
 * The ms from `upload` until the viewer's page started loading it (its feed had just named it: the ams
 * Machine held it), from the page's own resource timing.
 */
async function msUntilAsked(viewer: Page, streamId: string, upload: RecordedUpload): Promise<number> {
  const url = thumbnailUrl(streamId, upload.version);
  const startedAt = await viewer.evaluate((path) => {
    const entry = performance
      .getEntriesByType('resource')
      .find((e) => new URL(e.name).pathname + new URL(e.name).search === path);
    return entry === undefined ? null : performance.timeOrigin + entry.startTime;
  }, url);
  expect(startedAt, `the page asked for ${url}`).not.toBeNull();
  return startedAt! - upload.sentAt;
}

/** The uploads the creator's page made so far (see recordThumbnailUploads). */
function uploadsOf(creator: Page): Promise<RecordedUpload[]> {
  return creator.evaluate(() => (window as unknown as { __e2eUploads: RecordedUpload[] }).__e2eUploads);
}

test('a creator live on the dfw edge: its thumbnail shows on the ams home page within 2 s, the next one replaces it without a reload, and no thumbnail request is replayed', async ({
  browser,
}) => {
  const dfwIds = (await startedMachines()).filter((m) => m.region === 'dfw').map((m) => m.id);
  const amsId = (await startedMachines()).find((m) => m.region === 'ams')!.id;
  const title = `e2e thumbnail ${Date.now().toString(36)}`;
  const viewerContext = await browser.newContext();
  await viewerContext.addInitScript(watchThumbnailGaps);
  await viewerContext.addInitScript(recordShownThumbnails);
  const creatorContext = await browser.newContext({ permissions: ['camera'] });
  await creatorContext.addInitScript(recordThumbnailUploads);
  try {
    const before = await controlStats();
    const viewer = await viewerContext.newPage();
    const thumbnailReads: string[] = [];
    viewer.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/thumbnail')) thumbnailReads.push(r.url());
    });
    await viewer.goto(`${edge('ams')}/`);
    await expect(viewer.getByTestId('feed-status')).toHaveAttribute('data-status', 'live');
    await viewer.evaluate(() => ((window as unknown as Record<string, boolean>).__e2eSamePage = true));
    // The demo streams' cards show theirs (stills of the demo video). Judged as one condition, polled: a
    // stream an earlier test ended may still be leaving the list.
    const cards = viewer.getByTestId('stream-card');
    const pictures = viewer.getByTestId('stream-thumbnail');
    await expect
      .poll(
        async () => {
          const [c, p] = [await cards.count(), await pictures.count()];
          return c >= 3 && p === c;
        },
        { message: 'a card per demo stream (one per Machine) at least, each with its picture' },
      )
      .toBe(true);
    const demoCount = await pictures.count();

    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'camera');
    await creator.getByLabel('Title').fill(title);
    await creator.getByLabel('Your name').fill('e2e-thumbs');
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    const home = await creator.getByTestId('publish-home').getAttribute('data-machine');
    expect(dfwIds, 'the stream is homed on a dfw Machine').toContain(home);

    const card = viewer.getByTestId('stream-card').filter({ hasText: title });
    const picture = card.getByTestId('stream-thumbnail');
    await expect(card).toHaveCount(1);

    // The first still, sent when the stream went live.
    await expect
      .poll(async () => (await uploadsOf(creator)).length, { message: 'the first upload' })
      .toBeGreaterThanOrEqual(1);
    const first = (await uploadsOf(creator))[0]!;
    expect(first.headers['fly-force-instance-id'], 'sent to the home with fly-force-instance-id').toBe(home);
    expect(first.headers.authorization, 'with the publish token').toMatch(/^Bearer \S+$/);
    // Where the time goes: the ams Machine holding it (its feed names it and the page asks for it), then
    // the page loading and showing it.
    const streamId = (await card.getAttribute('data-stream-id'))!;
    const firstMs = await msUntilShown(
      viewer,
      streamId,
      first,
      THUMBNAIL_SHOWN_LIMIT_MS * 3,
      'the ams page shows the first thumbnail',
    );
    reportTiming(
      'first thumbnail asked for by the ams home page after its upload',
      await msUntilAsked(viewer, streamId, first),
    );
    reportTiming('first thumbnail shown on the ams home page after its upload', firstMs);
    const onAms = (await directoryOn(amsId)).streams.find((s) => s.id === streamId);
    expect(onAms?.thumbnail, 'the ams Machine names the version it holds and served').toBe(first.version);
    expect(firstMs, 'ms from the upload until the ams page shows it').toBeLessThanOrEqual(THUMBNAIL_SHOWN_LIMIT_MS);
    const shownFirst = await picture.evaluate(pictureGrid, { grid: GRID });
    const stillFirst = await viewer.locator('body').evaluate(pictureGrid, { grid: GRID, base64: first.base64 });
    expect(gridDistance(shownFirst, stillFirst), "the card shows the creator's still").toBeLessThanOrEqual(
      SAME_PICTURE_MAX_DISTANCE,
    );
    expect(await picture.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([
      320, 180,
    ]);

    // The next still, sent on the home's schedule, replaces it in place.
    await expect
      .poll(async () => (await uploadsOf(creator)).length, {
        message: 'a later upload',
        timeout: 20_000,
        intervals: [200],
      })
      .toBeGreaterThanOrEqual(2);
    const second = (await uploadsOf(creator))[1]!;
    expect(second.version).toBeGreaterThan(first.version);
    const secondMs = await msUntilShown(
      viewer,
      streamId,
      second,
      NEXT_THUMBNAIL_SHOWN_LIMIT_MS * 3,
      'the ams page shows the second thumbnail',
    );
    reportTiming('next thumbnail swapped in on the ams home page after its upload', secondMs);
    expect(secondMs).toBeLessThanOrEqual(NEXT_THUMBNAIL_SHOWN_LIMIT_MS);
    const bytes = (u: RecordedUpload) => Buffer.from(u.base64, 'base64').length;
    const figure = `stills of the fake camera: ${bytes(first)} and ${bytes(second)} bytes`;
    test.info().annotations.push({ type: 'figure', description: figure });
    console.log(`figure: ${figure}`);
    const stillSecond = await viewer.locator('body').evaluate(pictureGrid, { grid: GRID, base64: second.base64 });
    expect(gridDistance(stillFirst, stillSecond), 'the two stills differ (the fake camera moves)').toBeGreaterThan(0);
    const shownSecond = await picture.evaluate(pictureGrid, { grid: GRID });
    expect(gridDistance(shownSecond, stillSecond)).toBeLessThanOrEqual(SAME_PICTURE_MAX_DISTANCE);
    expect(await viewer.evaluate(() => (window as unknown as Record<string, boolean>).__e2eSamePage), 'no reload').toBe(
      true,
    );
    expect(
      await viewer.evaluate(() => (window as unknown as Record<string, number>).__e2eThumbnailGaps),
      'no card fell back to its placeholder between two pictures',
    ).toBe(0);

    // Every thumbnail the ams page asked for was answered by the Machine it reached: no replay at all.
    const after = await controlStats();
    expect(thumbnailReads.length, 'thumbnail requests of the ams page').toBeGreaterThanOrEqual(demoCount + 2);
    expect(after.edges.ams!.replays.total - before.edges.ams!.replays.total, 'replays at the ams edge').toBe(0);
    expect(after.edges.ams!.errors.total - before.edges.ams!.errors.total).toBe(0);

    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(card).toHaveCount(0);
  } finally {
    await creatorContext.close();
    await viewerContext.close();
  }
});
