import { machineAction, machines, startedMachines } from './cluster.ts';
import {
  decodedFrames,
  directoryOn,
  edge,
  expect,
  listedOnNone,
  msUntil,
  recordServerErrors,
  reportTiming,
  restoreCluster,
  streamIdsOn,
  test,
} from './helpers.ts';

/** Viewers are not left staring at a dead stream: a viewer learns its stream's home Machine died within this long. */
const VIEWER_NOTICE_MS = 5_000;
/** Lists never offer a dead stream for long: a Machine killed through the control API is gone from every list within this long. */
const KILLED_GONE_LIMIT_MS = 15_000;

// These scenarios stop or kill Machines; each leaves the cluster as it found it.
test.afterEach(async () => {
  await restoreCluster();
});

/**
 * True when no Machine lists `streamId` any more. The killed `home` is read only while localfly says
 * it is started again (a viewer's ?instance= request auto starts it): a request pinned to a stopped
 * Machine would itself start it, and a stopped Machine lists nothing.
 */
async function listedNowhere(streamId: string, home: string, others: readonly string[]): Promise<boolean> {
  if (!(await listedOnNone(streamId, others))) return false;
  if ((await machines()).find((m) => m.id === home)?.state !== 'started') return true;
  const ids = await streamIdsOn(home);
  return ids !== null && !ids.includes(streamId);
}

/** True when every observer answers and lists neither the Machine nor any of its streams. */
async function machineForgotten(
  machineId: string,
  streamIds: readonly string[],
  observers: readonly string[],
): Promise<boolean> {
  const views = await Promise.all(observers.map((id) => directoryOn(id).catch(() => null)));
  return views.every(
    (v) =>
      v !== null && !v.machines.some((m) => m.id === machineId) && !v.streams.some((s) => streamIds.includes(s.id)),
  );
}

test('killing the stream home Machine: the viewer shows ended or offline within 5 s and the stream leaves every list within 15 s', async ({
  page,
}) => {
  const all = await startedMachines();
  const ams = all.find((m) => m.region === 'ams')!;
  const stream = (await directoryOn(ams.id)).streams.find((s) => s.region === 'dfw')!;
  expect(stream).toBeDefined();
  const home = stream.machineId;
  const others = all.filter((m) => m.id !== home).map((m) => m.id);

  await page.goto(`${edge('ams')}/watch/${stream.id}?instance=${home}`);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
  await expect.poll(() => decodedFrames(page)).toBeGreaterThan(0);

  const killedAt = Date.now();
  await machineAction(home, 'kill');
  // Timed from the kill, alongside the viewer's reaction (which may auto start the home again; the
  // Machine then comes back with a new demo stream, so the check is by stream id).
  const forgetting = msUntil(
    () => listedNowhere(stream.id, home, others),
    killedAt,
    2 * KILLED_GONE_LIMIT_MS,
    `every Machine forgets ${stream.id}`,
  );
  forgetting.catch(() => undefined);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', /^(ended|offline)$/, {
    timeout: VIEWER_NOTICE_MS,
  });
  expect(Date.now() - killedAt, 'ms until the viewer showed it').toBeLessThanOrEqual(VIEWER_NOTICE_MS);

  const forgetMs = await forgetting;
  reportTiming('killed home Machine (viewer attached): its stream gone from every list after the kill', forgetMs);
  expect(forgetMs, 'ms from the kill until no Machine lists the stream').toBeLessThanOrEqual(KILLED_GONE_LIMIT_MS);
});

test("killing a Machine nobody watches: it and its stream leave every other Machine's list within 15 s", async () => {
  const all = await startedMachines();
  const target = all.find((m) => m.region === 'dfw')!;
  const observers = all.filter((m) => m.id !== target.id).map((m) => m.id);
  const streamIds = (await directoryOn(target.id)).streams.filter((s) => s.machineId === target.id).map((s) => s.id);
  expect(streamIds.length, 'the Machine hosts a demo stream').toBeGreaterThan(0);
  for (const id of observers) {
    const view = await directoryOn(id);
    expect(
      view.machines.map((m) => m.id),
      `${id} lists the Machine before the kill`,
    ).toContain(target.id);
    expect(
      view.streams.map((s) => s.id),
      `${id} lists its stream before the kill`,
    ).toEqual(expect.arrayContaining(streamIds));
  }

  const killedAt = Date.now();
  await machineAction(target.id, 'kill');
  const goneMs = await msUntil(
    () => machineForgotten(target.id, streamIds, observers),
    killedAt,
    2 * KILLED_GONE_LIMIT_MS,
    `every Machine forgets ${target.id}`,
  );
  reportTiming('killed Machine (no viewer): it and its stream gone from every other list after the kill', goneMs);
  expect(goneMs, 'ms from the kill until no other Machine lists it').toBeLessThanOrEqual(KILLED_GONE_LIMIT_MS);
  // Nothing started it again meanwhile: the peers forgot a dead Machine, not a rebooted one.
  expect((await machines()).find((m) => m.id === target.id)?.state).toBe('stopped');
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
