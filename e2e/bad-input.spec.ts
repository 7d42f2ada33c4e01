import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { machines } from './cluster.ts';
import { edge, expect, recordServerErrors, test } from './helpers.ts';

test('a stale fly-machine-id cookie naming a Machine that no longer exists: pages load, no 5xx, cookie rewritten', async ({
  page,
  context,
}) => {
  const known = new Set((await machines()).map((m) => m.id));
  let stale = randomBytes(7).toString('hex');
  while (known.has(stale)) stale = randomBytes(7).toString('hex');
  const errors = recordServerErrors(context);

  for (const path of ['/', '/live', '/api/whoami']) {
    await context.clearCookies();
    await context.addCookies([{ name: 'fly-machine-id', value: stale, url: edge('ams') }]);
    const response = await page.goto(`${edge('ams')}${path}`);
    expect(response?.status(), path).toBe(200);
    const cookie = (await context.cookies(edge('ams'))).find((c) => c.name === 'fly-machine-id');
    expect(cookie?.value, `cookie after ${path}`).not.toBe(stale);
    expect(known.has(cookie?.value ?? ''), `cookie after ${path} names a live Machine`).toBe(true);
  }
  await expect(page.getByText(/"machineId"/)).toBeVisible();
  expect(errors).toEqual([]);
});

test('a malformed ?instance= gives a clear 400 answer, not a blank page or a 5xx', async ({ page, context }) => {
  const errors = recordServerErrors(context);
  const response = await page.goto(`${edge('ams')}/watch/abc?instance=XYZ`);
  expect(response?.status()).toBe(400);
  await expect(page.locator('body')).toContainText(/instance/i);
  expect(errors).toEqual([]);
});

test('an unknown stream id gives a clear "no such stream" page, not a blank page or a 5xx', async ({
  page,
  context,
}) => {
  const errors = recordServerErrors(context);
  // A well-formed id (a ULID, as the server makes them) that no Machine has: the page asks the directory.
  const response = await page.goto(`${edge('ams')}/watch/${ulid()}`);
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('watch-state')).toHaveAttribute('data-state', 'not-found');
  await expect(page.getByTestId('watch-message')).toContainText(/no live stream/i);
  await expect(page.getByRole('link', { name: /see who is live/i })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a malformed stream id gives "Page not found", not a blank page or a 5xx', async ({ page, context }) => {
  const errors = recordServerErrors(context);
  // Not a ULID, so it cannot name a stream: the page says so without asking the directory.
  const response = await page.goto(`${edge('ams')}/watch/no-such-stream`);
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: /see who is live/i })).toBeVisible();
  expect(errors).toEqual([]);
});
