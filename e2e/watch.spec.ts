import type { ViewerHello } from '../shared/protocol.ts';
import { controlStats, startedMachines } from './cluster.ts';
import { decodedFrames, directoryOn, edge, expect, reportFigure, test } from './helpers.ts';
import { canvasColourCount } from './page-probes.ts';

/** Fewest decoded frames that prove playback (about 1 s of the demo stream). */
const MIN_DECODED_FRAMES = 30;
/** A test pattern or camera picture has many colours; a blank canvas has one. */
const MIN_CANVAS_COLOURS = 8;

test('watching a dfw-hosted stream from the ams edge is served by its home Machine', async ({ page, context }) => {
  const dfw = (await startedMachines()).filter((m) => m.region === 'dfw');
  const ams = (await startedMachines()).find((m) => m.region === 'ams')!;
  const view = await directoryOn(ams.id);
  const stream = view.streams.find((s) => dfw.some((m) => m.id === s.machineId));
  expect(stream, 'a demo stream hosted in dfw').toBeDefined();
  const home = stream!.machineId;

  let hello: ViewerHello | null = null;
  page.on('websocket', (ws) => {
    if (!ws.url().includes(`/ws/watch/${stream!.id}`)) return;
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || hello !== null) return;
      const message = JSON.parse(payload) as { type: string };
      if (message.type === 'hello') hello = message as ViewerHello;
    });
  });

  const before = await controlStats();
  await page.goto(`${edge('ams')}/`);
  await page.locator(`[data-testid="stream-card"][data-stream-id="${stream!.id}"]`).getByRole('link').click();

  await expect(page).toHaveURL(new RegExp(`/watch/${stream!.id}\\?instance=${home}$`));
  await expect(page.locator('body')).toHaveAttribute('data-instance', home);
  await expect(page.locator('body')).toHaveAttribute('data-edge-region', 'ams');
  await expect.poll(() => decodedFrames(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(MIN_DECODED_FRAMES);
  // Past the cached group of pictures: live frames keep arriving and decoding.
  const decodedSoFar = await decodedFrames(page);
  await expect.poll(() => decodedFrames(page)).toBeGreaterThan(decodedSoFar + 10);
  await expect
    .poll(() => page.getByTestId('video').evaluate(canvasColourCount))
    .toBeGreaterThanOrEqual(MIN_CANVAS_COLOURS);

  expect(hello, 'the watch socket sent a hello').not.toBeNull();
  expect(hello!.machineId).toBe(home);
  expect(hello!.stream.machineId).toBe(home);
  await expect(page.getByTestId('routing-proof')).toHaveAttribute('data-verdict', 'same-machine');

  const after = await controlStats();
  const replays = after.totals.replays - before.totals.replays;
  // The page and its socket each entered at ams and were replayed once to dfw; assets never are.
  expect(replays, 'replays for the whole visit').toBeGreaterThanOrEqual(1);
  expect(replays, 'replays for the whole visit').toBeLessThanOrEqual(2);
  expect(after.totals.errors - before.totals.errors).toBe(0);

  const cookie = (await context.cookies(edge('ams'))).find((c) => c.name === 'fly-machine-id');
  expect(cookie?.value).toBe(home);
  const whoami = await page.evaluate(async () => (await fetch('/api/whoami')).json() as Promise<{ machineId: string }>);
  expect(whoami.machineId).toBe(home);

  // A second visit. The first one's replays were `?instance=` links (timeout and fallback: never cached),
  // but the fetch just above carried only the cookie: its `prefer_instance` replay is in the ams edge's
  // replay cache now (fly.toml replay_cache), so every request of the visit goes straight home.
  const second = await controlStats();
  await page.goto(`${edge('ams')}/`);
  await page.locator(`[data-testid="stream-card"][data-stream-id="${stream!.id}"]`).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/watch/${stream!.id}\\?instance=${home}$`));
  await expect(page.locator('body')).toHaveAttribute('data-instance', home);
  await expect.poll(() => decodedFrames(page), { timeout: 15_000 }).toBeGreaterThanOrEqual(MIN_DECODED_FRAMES);
  await expect(page.getByTestId('routing-proof')).toHaveAttribute('data-verdict', 'same-machine');
  const end = await controlStats();
  const secondReplays = end.totals.replays - second.totals.replays;
  const secondHits = end.totals.cacheHits - second.totals.cacheHits;
  reportFigure(
    'hops',
    `first visit ${replays} replays, ${after.totals.cacheHits - before.totals.cacheHits} cache hits; ` +
      `second visit ${secondReplays} replays, ${secondHits} cache hits`,
  );
  expect(secondReplays, 'replays for the second visit').toBe(0);
  // At least the home page, the watch page and its socket came straight from the cache.
  expect(secondHits, 'cache hits for the second visit').toBeGreaterThanOrEqual(3);
  expect(end.totals.errors - second.totals.errors).toBe(0);
});
