import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  test as base,
  expect,
  type Page,
  type TestInfo,
} from '@playwright/test';
import { clusterInfo, edge, machineAction, machines } from './cluster.ts';
import { countDecodedFrames, DECODED_FRAMES_KEY } from './page-probes.ts';

export { expect };

/** Shapes of the directory's `GET /api/streams`, as the app defines them. */
import type { DirectoryStream, DirectoryView } from '../shared/directory-api.ts';

export type { DirectoryView };
export type ListedStream = DirectoryStream;

/** Every response with a 5xx status a context received, so a test can assert there were none. */
export function recordServerErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  context.on('response', (response) => {
    if (response.status() >= 500) errors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return errors;
}

/** A fresh context (own cookies) with the decoded-frame counter installed. */
export async function newWatcherContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.addInitScript(countDecodedFrames);
  return context;
}

/** Every page of the default context counts decoded frames. */
export const test = base.extend({
  context: async ({ context }, use) => {
    await context.addInitScript(countDecodedFrames);
    await use(context);
  },
});

export async function decodedFrames(page: Page): Promise<number> {
  return page.evaluate((key) => (window as unknown as Record<string, number>)[key] ?? 0, DECODED_FRAMES_KEY);
}

/**
 * The directory as one particular Machine sees it: `fly-force-instance-id` makes the edge deliver the
 * request to that Machine only (no replay involved, the paths are any-Machine reads).
 */
export async function directoryOn(machineId: string, region = 'ams'): Promise<DirectoryView> {
  const response = await fetch(`${edge(region)}/api/streams`, { headers: { 'fly-force-instance-id': machineId } });
  if (!response.ok) throw new Error(`GET /api/streams on ${machineId}: ${response.status} ${await response.text()}`);
  return (await response.json()) as DirectoryView;
}

/** The stream ids a Machine's directory lists, or null while it cannot answer. */
export async function streamIdsOn(machineId: string): Promise<string[] | null> {
  try {
    return (await directoryOn(machineId)).streams.map((s) => s.id).sort();
  } catch {
    return null;
  }
}

/** Pause between two reads of the Machines' directories while timing a change (bounded by a deadline). */
export const TIMING_POLL_INTERVAL_MS = 20;

/**
 * Polls `condition` until it holds and returns the ms from `sinceMs` (Date.now() at the action) to the
 * end of the poll that saw it: the read's own latency is counted, so the figure is never too small.
 * Throws once `timeoutMs` after `sinceMs` have passed without the condition holding.
 */
export async function msUntil(
  condition: () => Promise<boolean>,
  sinceMs: number,
  timeoutMs: number,
  what: string,
): Promise<number> {
  for (;;) {
    if (await condition()) return Date.now() - sinceMs;
    if (Date.now() - sinceMs > timeoutMs) throw new Error(`${what}: still not true ${timeoutMs} ms after the action`);
    await new Promise((resolve) => setTimeout(resolve, TIMING_POLL_INTERVAL_MS));
  }
}

/** Records a measured figure on the test (HTML report annotation) and prints it (list reporter). */
export function reportFigure(type: string, text: string): void {
  base.info().annotations.push({ type, description: text });
  console.log(`${type}: ${text}`);
}

/** Records a measured time on the test (HTML report annotation) and prints it (list reporter). */
export function reportTiming(what: string, ms: number): void {
  reportFigure('timing', `${what}: ${Math.round(ms)} ms`);
}

/** True when every one of `machineIds` answers and lists `streamId`, each read pinned to that Machine. */
export async function listedOnAll(streamId: string, machineIds: readonly string[]): Promise<boolean> {
  const lists = await Promise.all(machineIds.map((id) => streamIdsOn(id)));
  return lists.every((ids) => ids?.includes(streamId));
}

/** True when every one of `machineIds` answers without `streamId` (a Machine that cannot answer proves nothing). */
export async function listedOnNone(streamId: string, machineIds: readonly string[]): Promise<boolean> {
  const lists = await Promise.all(machineIds.map((id) => streamIdsOn(id)));
  return lists.every((ids) => ids !== null && !ids.includes(streamId));
}

/** Saves a full-page screenshot under test-results/screenshots/ and attaches it to the report. */
export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  const dir = join(testInfo.project.outputDir, 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}

export { clusterInfo, edge };

/** Longest a Machine restart plus directory convergence may take before a test gives up. */
export const CLUSTER_SETTLE_TIMEOUT_MS = 30_000;

/**
 * Brings the cluster back to its starting shape after a test stopped or killed a Machine: every
 * Machine started, and every Machine's directory listing a demo stream from every Machine.
 */
export async function restoreCluster(): Promise<void> {
  for (const m of await machines()) if (m.state === 'stopped') await machineAction(m.id, 'start');
  const ids = (await machines()).map((m) => m.id).sort();
  await expect
    .poll(
      async () => {
        const hosts = await Promise.all(
          ids.map(async (id) =>
            [...new Set((await directoryOn(id).catch(() => null))?.streams.map((s) => s.machineId) ?? [])].sort(),
          ),
        );
        return hosts.every((h) => h.length === ids.length && h.every((id, i) => id === ids[i]));
      },
      // Short steps: the wait is mostly a peer's next discovery, and a long step would overshoot it.
      {
        timeout: CLUSTER_SETTLE_TIMEOUT_MS,
        intervals: [100, 200],
        message: 'every Machine lists a stream from every Machine',
      },
    )
    .toBe(true);
}
