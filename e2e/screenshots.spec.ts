import { startedMachines } from './cluster.ts';
import { decodedFrames, directoryOn, edge, expect, saveScreenshot, test } from './helpers.ts';
import { canvasColourCount } from './page-probes.ts';

test('screenshots of the home, watch and go-live pages as a user sees them', async ({ page, browser }, testInfo) => {
  const machines = await startedMachines();
  await page.goto(`${edge('ams')}/`);
  for (const m of machines)
    await expect(page.locator(`[data-testid="stream-card"][data-machine-id="${m.id}"]`).first()).toBeVisible();
  await saveScreenshot(page, testInfo, 'home');

  const ams = machines.find((m) => m.region === 'ams')!;
  const stream = (await directoryOn(ams.id)).streams.find((s) => s.region === 'dfw')!;
  await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${stream.machineId}`);
  await expect.poll(() => decodedFrames(page)).toBeGreaterThanOrEqual(30);
  await expect.poll(() => page.getByTestId('video').evaluate(canvasColourCount)).toBeGreaterThanOrEqual(8);
  await expect(page.getByTestId('routing-proof')).toHaveAttribute('data-verdict', 'same-machine');
  await saveScreenshot(page, testInfo, 'watch');

  const creatorContext = await browser.newContext({ permissions: ['camera'] });
  try {
    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'camera');
    await saveScreenshot(creator, testInfo, 'go-live-form');
    await creator.getByLabel('Title').fill('Screenshot stream');
    await creator.getByLabel('Your name').fill('e2e-creator');
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    await expect
      .poll(async () => Number(await creator.getByTestId('frames-sent').textContent()))
      .toBeGreaterThanOrEqual(30);
    await saveScreenshot(creator, testInfo, 'go-live-live');
    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'ended');
  } finally {
    await creatorContext.close();
  }
});
