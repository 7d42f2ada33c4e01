import type { Page } from '@playwright/test';
import { startedMachines } from './cluster.ts';
import { decodedFrames, edge, expect, listedOnAll, msUntil, newWatcherContext, reportTiming, test } from './helpers.ts';
import { canvasColourCount, denyCamera, PATTERN_BARS_RGB, patternBarsSeen } from './page-probes.ts';

/** Decoded frames that prove the viewer plays the creator's live video (about 1 s at 30 fps). */
const MIN_DECODED_FRAMES = 30;
const MIN_CANVAS_COLOURS = 4;
/** Per-channel slack when matching the pattern's bars on the decoded picture (the bars differ by 192). */
const BAR_COLOUR_TOLERANCE = 48;
/** A viewer in any region can find a new stream at once: a dfw stream is listed by every Machine within a second. */
const STREAM_LISTED_LIMIT_MS = 1_000;

interface Started {
  streamId: string;
  home: string;
  /** From the browser sending POST /api/streams to every Machine's /api/streams listing the stream. */
  listedMs: number;
}

/**
 * Clicks "Go live" and times the stream's arrival in every Machine's directory, counted from the
 * moment the browser sent its POST /api/streams (the creation) to the read that saw it everywhere.
 */
async function goLiveTimed(creator: Page, machineIds: readonly string[]): Promise<Started> {
  const creation = creator.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/streams',
  );
  const clickedAt = Date.now();
  await creator.getByRole('button', { name: 'Go live' }).click();
  const response = await creation;
  expect(response.status(), 'POST /api/streams').toBe(201);
  const created = (await response.json()) as { id: string; machineId: string };
  // The browser's wall-clock stamp of the request; the host's clock, like Date.now() here.
  const postedAt = response.request().timing().startTime;
  expect(postedAt, 'request start stamp').toBeGreaterThanOrEqual(clickedAt);
  expect(postedAt, 'request start stamp').toBeLessThanOrEqual(Date.now());
  const listedMs = await msUntil(
    () => listedOnAll(created.id, machineIds),
    postedAt,
    2 * STREAM_LISTED_LIMIT_MS,
    `every Machine lists ${created.id}`,
  );
  return { streamId: created.id, home: created.machineId, listedMs };
}

async function sendChat(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

function chatLine(page: Page, text: string) {
  return page.getByTestId('chat-message').filter({ hasText: text });
}

test('a creator goes live from /live with the fake camera on the dfw edge; an ams viewer sees it appear, watches it and chats both ways', async ({
  browser,
}) => {
  const all = (await startedMachines()).map((m) => m.id);
  const dfwIds = (await startedMachines()).filter((m) => m.region === 'dfw').map((m) => m.id);
  const title = `e2e live ${Date.now().toString(36)}`;

  const viewerContext = await newWatcherContext(browser);
  const creatorContext = await browser.newContext({ permissions: ['camera'] });
  try {
    // The viewer opens the list first; the stream must appear in it without a reload.
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${edge('ams')}/`);
    await expect(viewer.getByTestId('feed-status')).toHaveAttribute('data-status', 'live');
    await viewer.evaluate(() => ((window as unknown as Record<string, boolean>).__e2eSamePage = true));

    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'camera');
    await creator.getByLabel('Title').fill(title);
    await creator.getByLabel('Your name').fill('e2e-creator');
    const started = await goLiveTimed(creator, all);
    reportTiming('dfw stream (camera) listed on every Machine after its creation', started.listedMs);
    expect(started.listedMs, 'ms from creation until every Machine lists the stream').toBeLessThanOrEqual(
      STREAM_LISTED_LIMIT_MS,
    );
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    const home = await creator.getByTestId('publish-home').getAttribute('data-machine');
    expect(dfwIds, 'the stream is homed on a dfw Machine').toContain(home);
    expect(started.home, 'the Machine that created it is its home').toBe(home);
    await expect(creator.getByTestId('publish-home')).toHaveAttribute('data-socket-machine', home!);

    const card = viewer.getByTestId('stream-card').filter({ hasText: title });
    await expect(card).toHaveCount(1);
    await expect(card).toHaveAttribute('data-machine-id', home!);
    expect(await viewer.evaluate(() => (window as unknown as Record<string, boolean>).__e2eSamePage), 'no reload').toBe(
      true,
    );

    await card.getByRole('link').click();
    await expect(viewer).toHaveURL(new RegExp(`\\?instance=${home}$`));
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
    await expect.poll(() => decodedFrames(viewer), { timeout: 15_000 }).toBeGreaterThanOrEqual(MIN_DECODED_FRAMES);
    await expect
      .poll(() => viewer.getByTestId('video').evaluate(canvasColourCount))
      .toBeGreaterThanOrEqual(MIN_CANVAS_COLOURS);
    await expect(creator.getByTestId('live-viewers')).toHaveText('1');

    await sendChat(viewer, 'hello from ams');
    await expect(chatLine(creator, 'hello from ams')).toHaveCount(1);
    await sendChat(creator, 'hi back from dfw');
    await expect(chatLine(viewer, 'hi back from dfw')).toHaveCount(1);
    await expect(chatLine(viewer, 'hello from ams')).toHaveCount(1);

    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
  } finally {
    await creatorContext.close();
    await viewerContext.close();
  }
});

test('a creator without a camera goes live from /live with the test pattern on the dfw edge; a viewer on the ams edge watches it', async ({
  browser,
}) => {
  const all = (await startedMachines()).map((m) => m.id);
  const dfwIds = (await startedMachines()).filter((m) => m.region === 'dfw').map((m) => m.id);
  const title = `e2e pattern ${Date.now().toString(36)}`;

  const viewerContext = await newWatcherContext(browser);
  const creatorContext = await browser.newContext();
  await creatorContext.addInitScript(denyCamera);
  try {
    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    // The page tried the camera, was refused, says so, and shows the pattern instead.
    await expect(creator.getByTestId('camera-note')).toContainText(/test pattern.*permission was denied/i);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'pattern');
    await expect(creator.getByRole('img', { name: 'Test pattern preview' })).toBeVisible();
    await expect(creator.getByRole('radio', { name: /test pattern/i })).toBeChecked();
    await expect
      .poll(() => creator.getByTestId('preview').evaluate(patternBarsSeen, { bars: PATTERN_BARS_RGB, tolerance: 0 }))
      .toBe(PATTERN_BARS_RGB.length);

    await creator.getByLabel('Title').fill(title);
    await creator.getByLabel('Your name').fill('e2e-pattern');
    const started = await goLiveTimed(creator, all);
    reportTiming('dfw stream (test pattern) listed on every Machine after its creation', started.listedMs);
    expect(started.listedMs, 'ms from creation until every Machine lists the stream').toBeLessThanOrEqual(
      STREAM_LISTED_LIMIT_MS,
    );
    expect(dfwIds, 'the stream is homed on a dfw Machine').toContain(started.home);
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'pattern');

    // The share link, opened on the other region's edge: ?instance= routes the viewer to dfw.
    const share = new URL(await creator.getByTestId('share-link').inputValue());
    expect(share.pathname).toBe(`/watch/${started.streamId}`);
    expect(share.searchParams.get('instance')).toBe(started.home);
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${edge('ams')}${share.pathname}${share.search}`);
    await expect(viewer.locator('body')).toHaveAttribute('data-edge-region', 'ams');
    await expect(viewer.locator('body')).toHaveAttribute('data-instance', started.home);
    await expect(viewer.getByTestId('stream-title')).toHaveText(title);
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
    await expect.poll(() => decodedFrames(viewer), { timeout: 15_000 }).toBeGreaterThanOrEqual(MIN_DECODED_FRAMES);
    await expect
      .poll(() => viewer.getByTestId('video').evaluate(canvasColourCount))
      .toBeGreaterThanOrEqual(MIN_CANVAS_COLOURS);
    // What the viewer decodes is the pattern itself: all seven bars, in order, where they were drawn.
    await expect
      .poll(() =>
        viewer
          .getByTestId('video')
          .evaluate(patternBarsSeen, { bars: PATTERN_BARS_RGB, tolerance: BAR_COLOUR_TOLERANCE }),
      )
      .toBe(PATTERN_BARS_RGB.length);
    await expect(viewer.getByTestId('routing-proof')).toHaveAttribute('data-verdict', 'same-machine');
    await expect(creator.getByTestId('live-viewers')).toHaveText('1');

    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
  } finally {
    await creatorContext.close();
    await viewerContext.close();
  }
});
