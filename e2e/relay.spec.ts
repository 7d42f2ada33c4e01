import { execFileSync } from 'node:child_process';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { machineAction, restartWithEnv, startedMachines } from './cluster.ts';
import { directoryOn, edge, expect, newWatcherContext, reportFigure, restoreCluster, test } from './helpers.ts';
import { longestGapMs, recoveryMs } from './move-figures.ts';
import { denyCamera, PAINTS_KEY, recordPaints, WATCH_OPENS_KEY } from './page-probes.ts';

/** A relayed viewer sees moving video again this soon after its relay's NATS or its relay Machine went away. */
const RELAY_LOSS_LIMIT_MS = 5000;
/** Paints that show a viewer is playing (a third of a second at 30 fps). */
const PLAYING_PAINTS = 10;
/** The home's RELAY_OVERFLOW_VIEWERS in this file: its third viewer overflows to a relay. */
const OVERFLOW_VIEWERS = 2;

const paints = (page: Page) =>
  page.evaluate((key) => (window as unknown as Record<string, number[]>)[key]!, PAINTS_KEY);
const opens = (page: Page) =>
  page.evaluate((key) => (window as unknown as Record<string, number[]>)[key]!, WATCH_OPENS_KEY);

async function playing(page: Page, sinceMs: number, timeoutMs = 30_000): Promise<void> {
  await expect
    .poll(async () => (await paints(page)).filter((at) => at > sinceMs).length, { timeout: timeoutMs })
    .toBeGreaterThanOrEqual(PLAYING_PAINTS);
}

const headline = (page: Page) => page.getByTestId('routing-headline');

async function viewer(browser: Browser, contexts: BrowserContext[], region: string, path: string): Promise<Page> {
  const context = await newWatcherContext(browser);
  await context.addInitScript(recordPaints);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${edge(region)}${path}`);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', 'live');
  return page;
}

/** The Machine's nats-server: the one child process of that name under the Machine's process. */
function natsServerPid(machinePid: number): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
  const under = new Set([machinePid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (under.has(r.ppid) && !under.has(r.pid)) {
        under.add(r.pid);
        grew = true;
      }
    }
  }
  const found = rows.filter((r) => under.has(r.pid) && r.comm === 'nats-server');
  if (found.length !== 1) throw new Error(`expected one nats-server under pid ${machinePid}, found ${found.length}`);
  return found[0]!.pid;
}

const chats = (page: Page) => page.getByTestId('chat-message').allInnerTexts();

test('regional relays: the ams viewer of a dfw stream is relayed in ams and chats in order with dfw; a full home overflows to a relay; relays that lose NATS or die are recovered within 5 s; the end reaches relayed viewers', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // The ams Machine relays regionally; the dfw Machines (one will be the home) overflow past two viewers.
  const machines = await startedMachines();
  const ams = machines.find((m) => m.region === 'ams')!;
  const dfw = machines.filter((m) => m.region === 'dfw');
  await Promise.all([
    restartWithEnv(ams.id, { RELAY_MODE: 'regional' }),
    ...dfw.map((m) => restartWithEnv(m.id, { RELAY_OVERFLOW_VIEWERS: String(OVERFLOW_VIEWERS) })),
  ]);
  await restoreCluster();
  // Relays are picked from the directory: every Machine there ready to relay, its load known.
  await expect
    .poll(
      async () =>
        (await directoryOn(dfw[0]!.id, 'dfw')).machines.every((m) => m.relay === 'ok' && m.connections !== undefined),
      {
        timeout: 30_000,
      },
    )
    .toBe(true);

  const contexts: BrowserContext[] = [];
  try {
    const creatorContext = await browser.newContext();
    contexts.push(creatorContext);
    await creatorContext.addInitScript(denyCamera);
    const creator = await creatorContext.newPage();
    await creator.goto(`${edge('dfw')}/live`);
    await expect(creator.getByTestId('preview')).toHaveAttribute('data-source', 'pattern');
    await creator.getByLabel('Title').fill(`e2e relayed ${Date.now().toString(36)}`);
    await creator.getByLabel('Your name').fill('e2e-relay');
    await creator.getByRole('button', { name: 'Go live' }).click();
    await expect(creator.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    const share = new URL(await creator.getByTestId('share-link').inputValue());
    const home = share.searchParams.get('instance')!;
    const path = `${share.pathname}${share.search}`;
    const streamId = share.pathname.split('/').at(-1)!;

    // Regional: the ams Machine the ams edge picked serves the viewer itself, from one copy of the stream.
    const amsViewer = await viewer(browser, contexts, 'ams', path);
    await expect(headline(amsViewer)).toHaveText(`\u2713 relayed by ${ams.id} (ams) from home ${home} (dfw)`);
    await playing(amsViewer, 0);
    const dfwViewer = await viewer(browser, contexts, 'dfw', path);
    await expect(headline(dfwViewer)).toContainText(`served by ${home} (dfw) - same Machine as the creator`);
    await playing(dfwViewer, 0);

    // Chat both ways, one order (the home numbers the relayed viewer's messages with its own).
    for (const [from, text] of [
      [amsViewer, 'from ams 1'],
      [dfwViewer, 'from dfw 1'],
      [amsViewer, 'from ams 2'],
    ] as const) {
      await from.getByLabel('Message').fill(text);
      await from.getByRole('button', { name: 'Send' }).click();
    }
    for (const page of [amsViewer, dfwViewer]) await expect(page.getByTestId('chat-message')).toHaveCount(3);
    expect(await chats(amsViewer)).toEqual(await chats(dfwViewer));

    // Overflow: with two viewers in total on the home (as every dfw Machine's directory says), a third goes to a relay.
    await expect
      .poll(async () => {
        const views = await Promise.all(dfw.map((m) => directoryOn(m.id, 'dfw')));
        return views.every((v) => v.streams.find((s) => s.id === streamId)?.viewers === OVERFLOW_VIEWERS);
      })
      .toBe(true);
    const third = await viewer(browser, contexts, 'dfw', path);
    await expect(headline(third)).toHaveText(
      new RegExp(`^\u2713 relayed by (\\w+) \\((ams|dfw)\\) from home ${home} \\(dfw\\)$`),
    );
    const thirdRelay = await third.getByTestId('routing-proof').getAttribute('data-socket-machine');
    expect(thirdRelay).not.toBe(home);
    await playing(third, 0);
    reportFigure(
      'figure',
      `relays: the third viewer (RELAY_OVERFLOW_VIEWERS=${OVERFLOW_VIEWERS}) relayed by ${thirdRelay}`,
    );
    await expect
      .poll(async () => (await directoryOn(home, 'dfw')).streams.find((s) => s.id === streamId)?.servedBy?.length)
      .toBe(3);

    // The ams relay's nats-server dies (the supervisor restarts it): its viewer keeps its socket.
    const natsKilledAt = Date.now();
    process.kill(natsServerPid((await startedMachines()).find((m) => m.id === ams.id)!.pid!), 'SIGKILL');
    await playing(amsViewer, natsKilledAt + RELAY_LOSS_LIMIT_MS, 20_000);
    const stall = longestGapMs(await paints(amsViewer), natsKilledAt, natsKilledAt + RELAY_LOSS_LIMIT_MS * 2);
    reportFigure(
      'figure',
      `relays: relay nats-server SIGKILL -> longest gap between painted frames at its viewer: ${stall} ms`,
    );
    expect(stall, 'ms without a painted frame after the relay lost NATS').toBeLessThanOrEqual(RELAY_LOSS_LIMIT_MS);

    // The third viewer's relay Machine dies: the viewer reconnects and is placed again.
    const killedAt = Date.now();
    await machineAction(thirdRelay!, 'kill');
    await expect
      .poll(async () => recoveryMs(killedAt, await opens(third), await paints(third)), { timeout: 15_000 })
      .not.toBeNull();
    const back = recoveryMs(killedAt, await opens(third), await paints(third))!;
    reportFigure('figure', `relays: SIGKILL of the relay Machine -> first frame painted at its viewer: ${back} ms`);
    expect(back, 'ms until the viewer of a dead relay paints again').toBeLessThanOrEqual(RELAY_LOSS_LIMIT_MS);
    await expect(headline(third)).not.toContainText(`${thirdRelay} (`);

    // The end reaches the relayed viewer.
    await creator.getByRole('button', { name: 'Stop streaming' }).click();
    await expect(amsViewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
    await expect(dfwViewer.getByTestId('watch-state')).toHaveAttribute('data-state', 'ended');
  } finally {
    for (const context of contexts) await context.close();
    // Back to the suite's cluster: every Machine started, none with env of its own.
    await restoreCluster();
    await Promise.all((await startedMachines()).map((m) => restartWithEnv(m.id, {})));
    await restoreCluster();
  }
});
