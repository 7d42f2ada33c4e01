import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { DeployReport } from '../localfly/machines/deploy.ts';
import { clusterInfo, machineAction } from './cluster.ts';
import { edge, expect, newWatcherContext, reportFigure, restoreCluster, test } from './helpers.ts';
import { homeAt, longestAbsenceMs, longestGapMs, type Poll, percentile, recoveryMs } from './move-figures.ts';
import { denyCamera, NOTICES_KEY, PAINTS_KEY, recordPaints, WATCH_OPENS_KEY } from './page-probes.ts';

/** Viewers see moving video again this soon after each move of the home in a rolling deploy. */
const DEPLOY_MOVE_LIMIT_MS = 3000;
/** ... and after their home was killed (SIGKILL). */
const CRASH_MOVE_LIMIT_MS = 8000;
/** The stream is never missing from `/api/streams` longer than this. */
const MISSING_LIMIT_MS = 3000;
/** Pause between two reads of `/api/streams` while the deploy runs. */
const POLL_INTERVAL_MS = 200;
/** Paints that show a viewer is playing: moving video (a third of a second at 30 fps; a loaded browser paints slower). */
const PLAYING_PAINTS = 10;

interface Live {
  creator: Page;
  streamId: string;
  home: string;
  /** The share link as the creator's page gave it: `/watch/<id>?instance=<first home>`. */
  watchPath: string;
  viewers: Record<'ams' | 'dfw', Page>;
  contexts: BrowserContext[];
}

const paints = (page: Page) =>
  page.evaluate((key) => (window as unknown as Record<string, number[]>)[key]!, PAINTS_KEY);
const opens = (page: Page) =>
  page.evaluate((key) => (window as unknown as Record<string, number[]>)[key]!, WATCH_OPENS_KEY);

/** Waits until `page` paints PLAYING_PAINTS frames after `sinceMs`. */
async function playing(page: Page, sinceMs: number, timeoutMs = 30_000): Promise<void> {
  await expect
    .poll(async () => (await paints(page)).filter((at) => at > sinceMs).length, { timeout: timeoutMs })
    .toBeGreaterThanOrEqual(PLAYING_PAINTS);
}

/** A creator on the dfw edge live with the test pattern; viewers on the ams and dfw edges playing it. */
async function goLive(browser: Browser, title: string): Promise<Live> {
  const creatorContext = await browser.newContext();
  await creatorContext.addInitScript(denyCamera);
  const creator = await creatorContext.newPage();
  await creator.goto(`${edge('dfw')}/live`);
  await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'pattern');
  await creator.getByLabel('Title').fill(title);
  await creator.getByLabel('Your name').fill('e2e-mover');
  await creator.getByRole('button', { name: 'Go live' }).click();
  await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  const share = new URL(await creator.getByTestId('share-link').inputValue());
  const home = share.searchParams.get('instance')!;
  const contexts = [creatorContext];
  const viewers = {} as Record<'ams' | 'dfw', Page>;
  for (const region of ['ams', 'dfw'] as const) {
    const context = await newWatcherContext(browser);
    await context.addInitScript(recordPaints);
    contexts.push(context);
    const viewer = await context.newPage();
    await viewer.goto(`${edge(region)}${share.pathname}${share.search}`);
    await expect(viewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
    viewers[region] = viewer;
  }
  await Promise.all(Object.values(viewers).map((v) => playing(v, 0)));
  return {
    creator,
    streamId: share.pathname.split('/').at(-1)!,
    home,
    watchPath: `${share.pathname}${share.search}`,
    viewers,
    contexts,
  };
}

/** Reads both edges' `/api/streams` every POLL_INTERVAL_MS until stopped: where each listed the stream. */
function watchDirectory(streamId: string): { polls: Poll[]; stop(): Promise<void> } {
  const polls: Poll[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const region of ['ams', 'dfw']) {
        const atMs = Date.now();
        const listed = await fetch(`${edge(region)}/api/streams`)
          .then((r) => (r.ok ? (r.json() as Promise<{ streams: Array<{ id: string; machineId: string }> }>) : null))
          .catch(() => null);
        // A read that failed proves nothing either way: it is left out.
        if (listed !== null)
          polls.push({ atMs, home: listed.streams.find((s) => s.id === streamId)?.machineId ?? null });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  })();
  return {
    polls,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function chatReaches(from: Page, text: string, to: Page[]): Promise<void> {
  await from.getByLabel('Message').fill(text);
  await from.getByRole('button', { name: 'Send' }).click();
  for (const page of to) await expect(page.getByTestId('chat-message').filter({ hasText: text })).toHaveCount(1);
}

async function endStream(live: Live): Promise<void> {
  await live.creator.getByRole('button', { name: 'Stop streaming' }).click();
  await expect(live.viewers.ams.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
  for (const context of live.contexts) await context.close();
}

test('a rolling deploy restarts every Machine: the live stream moves with its id and link, viewers follow within 3 s of each move, chat goes on', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const live = await goLive(browser, `e2e moving ${Date.now().toString(36)}`);
  const directory = watchDirectory(live.streamId);

  const response = await fetch(`${clusterInfo().control}/deploy`, { method: 'POST' });
  expect(response.status, 'POST /deploy').toBe(200);
  const report = (await response.json()) as DeployReport;
  await Promise.all(Object.values(live.viewers).map((v) => playing(v, report.finishedAt)));
  await directory.stop();

  const restarted = report.machines.filter((m) => m.action === 'restarted');
  expect(restarted.length, 'every Machine restarted').toBe(report.machines.length);
  const moves = restarted.filter((m) => homeAt(directory.polls, m.signalledAt!) === m.id);
  expect(moves.length, 'the home restarted at least once').toBeGreaterThanOrEqual(1);
  const recoveries: number[] = [];
  for (const [region, viewer] of Object.entries(live.viewers)) {
    const [painted, opened] = [await paints(viewer), await opens(viewer)];
    const gap = longestGapMs(painted, report.startedAt, report.finishedAt);
    reportFigure('figure', `deploy: longest gap between painted frames at the ${region} viewer: ${gap} ms`);
    for (const move of moves) {
      const ms = recoveryMs(move.signalledAt!, opened, painted);
      expect(ms, `${region} viewer after the move off ${move.id}`).not.toBeNull();
      reportFigure(
        'figure',
        `deploy: ${move.signal} to ${move.id} (home, ${move.region}) -> first frame painted at the ${region} viewer: ${ms} ms`,
      );
      expect(ms!, `${region} viewer moving again after the move off ${move.id}`).toBeLessThanOrEqual(
        DEPLOY_MOVE_LIMIT_MS,
      );
      recoveries.push(ms!);
    }
    await expect(viewer).toHaveURL(new RegExp(`/watch/${live.streamId}\\?instance=`));
  }
  reportFigure(
    'figure',
    `deploy: kill signal to first frame painted, over ${moves.length} move(s) x 2 viewers: p50 ${percentile(recoveries, 50)} ms, max ${percentile(recoveries, 100)} ms`,
  );
  const missing = longestAbsenceMs(directory.polls);
  reportFigure('figure', `deploy: longest time the stream was missing from /api/streams: ${missing} ms`);
  expect(missing, 'ms the stream was missing from /api/streams').toBeLessThanOrEqual(MISSING_LIMIT_MS);
  for (const [region, viewer] of Object.entries(live.viewers)) {
    const notices = await viewer.evaluate((key) => (window as unknown as Record<string, string[]>)[key]!, NOTICES_KEY);
    // One per move, unless a second move to the same region came while the first line was still up.
    expect(notices.length, `${region} viewer: "Stream moved to ..." shown`).toBeGreaterThanOrEqual(1);
    expect(notices.length).toBeLessThanOrEqual(moves.length);
    for (const text of notices) expect(text).toMatch(/^Stream moved to (ams|dfw)$/);
  }

  // One stream throughout: the same id, the creator still live, chat both ways.
  await expect(live.creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  await expect(live.creator.getByTestId('publish-home')).toHaveAttribute('data-moves', String(moves.length));
  await chatReaches(live.viewers.ams, 'after the deploy, from ams', [live.viewers.dfw, live.creator]);
  await chatReaches(live.creator, 'after the deploy, from the creator', [live.viewers.ams, live.viewers.dfw]);
  // The first link still leads to it (its ?instance= names the first home, which now follows it on).
  const late = await live.contexts[1]!.newPage();
  const lateSince = Date.now();
  await late.goto(`${edge('ams')}${live.watchPath}`);
  await expect(late.getByTestId('stream-title')).toHaveText(/^e2e moving /);
  await playing(late, lateSince);

  await endStream(live);
  await restoreCluster();
});

test('killing the home of a live stream with SIGKILL: the creator resumes elsewhere and viewers see moving video again within 8 s', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const live = await goLive(browser, `e2e crash ${Date.now().toString(36)}`);
  const killedAt = Date.now();
  await machineAction(live.home, 'kill');
  for (const [region, viewer] of Object.entries(live.viewers)) {
    await expect
      .poll(async () => recoveryMs(killedAt, await opens(viewer), await paints(viewer)), { timeout: 15_000 })
      .not.toBeNull();
    const ms = recoveryMs(killedAt, await opens(viewer), await paints(viewer))!;
    reportFigure('figure', `crash: SIGKILL of the home -> first frame painted at the ${region} viewer: ${ms} ms`);
    expect(ms, `${region} viewer moving again after the crash`).toBeLessThanOrEqual(CRASH_MOVE_LIMIT_MS);
    await expect(viewer.getByTestId('moved-notice')).toHaveText(/^Stream moved to (ams|dfw)$/);
  }
  await expect(live.creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  const home = await live.creator.getByTestId('publish-home').getAttribute('data-machine');
  expect(home, 'a new home').not.toBe(live.home);
  await chatReaches(live.viewers.dfw, 'after the crash, from dfw', [live.viewers.ams, live.creator]);

  await endStream(live);
  await restoreCluster();
});
