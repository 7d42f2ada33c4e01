import { machineAction, machines, startedMachines } from './cluster.ts';
import { decodedFrames, directoryOn, edge, expect, recordServerErrors, restoreCluster, streamIdsOn, test } from './helpers.ts';

/** The bound: a viewer learns its stream's home Machine died within this long. */
const VIEWER_NOTICE_MS = 5_000;
/** Peers notice a dead Machine through discovery (DNS TTL 5 s plus a refresh interval). */
const DIRECTORY_FORGET_TIMEOUT_MS = 20_000;

// These scenarios stop or kill Machines; each leaves the cluster as it found it.
test.afterEach(async () => {
  await restoreCluster();
});

test('killing the stream home Machine: the viewer shows ended or offline within 5 s and the stream leaves every other list', async ({ page }) => {
  const all = await startedMachines();
  const ams = all.find((m) => m.region === 'ams')!;
  const stream = (await directoryOn(ams.id)).streams.find((s) => s.region === 'dfw')!;
  expect(stream).toBeDefined();
  const home = stream.machineId;

  await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${home}`);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
  await expect.poll(() => decodedFrames(page)).toBeGreaterThan(0);

  const killedAt = Date.now();
  await machineAction(home, 'kill');
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', /^(ended|offline)$/, { timeout: VIEWER_NOTICE_MS });
  expect(Date.now() - killedAt, 'ms until the viewer showed it').toBeLessThanOrEqual(VIEWER_NOTICE_MS);

  for (const other of all.filter((m) => m.id !== home)) {
    await expect
      .poll(() => streamIdsOn(other.id), { timeout: DIRECTORY_FORGET_TIMEOUT_MS, message: `${other.region} ${other.id} forgets ${stream.id}` })
      .not.toContain(stream.id);
  }
});

test('a link to a stopped Machine starts it (auto start) and the page loads', async ({ page, context }) => {
  const errors = recordServerErrors(context);
  const target = (await startedMachines()).find((m) => m.region === 'dfw')!;
  await machineAction(target.id, 'stop');
  expect((await machines()).find((m) => m.id === target.id)?.state).toBe('stopped');

  const response = await page.goto(`${edge('ams')}/?instance=${target.id}`);
  expect(response?.status()).toBe(200);
  await expect(page.locator('body')).toHaveAttribute('data-instance', target.id);
  await expect(page.getByTestId('machine-badge')).toHaveAttribute('data-machine', target.id);
  expect((await machines()).find((m) => m.id === target.id)?.state).toBe('started');
  expect(errors).toEqual([]);
});
