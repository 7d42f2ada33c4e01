import type { Page } from '@playwright/test';
import { startedMachines } from './cluster.ts';
import { canvasColourCount } from './page-probes.ts';
import { decodedFrames, edge, expect, newWatcherContext, test } from './helpers.ts';

/** Decoded frames that prove the viewer plays the creator's live video (about 1 s at 30 fps). */
const MIN_DECODED_FRAMES = 30;
const MIN_CANVAS_COLOURS = 4;

async function sendChat(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

function chatLine(page: Page, text: string) {
  return page.getByTestId('chat-message').filter({ hasText: text });
}

test('a creator goes live from /live with the fake camera on the dfw edge; an ams viewer sees it appear, watches it and chats both ways', async ({ browser }) => {
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
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    const home = await creator.getByTestId('publish-home').getAttribute('data-machine');
    expect(dfwIds, 'the stream is homed on a dfw Machine').toContain(home);
    await expect(creator.getByTestId('publish-home')).toHaveAttribute('data-socket-machine', home!);

    const card = viewer.getByTestId('stream-card').filter({ hasText: title });
    await expect(card).toHaveCount(1);
    await expect(card).toHaveAttribute('data-machine-id', home!);
    expect(await viewer.evaluate(() => (window as unknown as Record<string, boolean>).__e2eSamePage), 'no reload').toBe(true);

    await card.getByRole('link').click();
    await expect(viewer).toHaveURL(new RegExp(`\\?instance=${home}$`));
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
    await expect.poll(() => decodedFrames(viewer), { timeout: 15_000 }).toBeGreaterThanOrEqual(MIN_DECODED_FRAMES);
    await expect.poll(() => viewer.getByTestId('video').evaluate(canvasColourCount)).toBeGreaterThanOrEqual(MIN_CANVAS_COLOURS);
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
