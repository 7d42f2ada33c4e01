import { startedMachines } from './cluster.ts';
import { edge, expect, test } from './helpers.ts';

test('the home page on the ams edge lists the demo streams of all three Machines', async ({ page }) => {
  const machines = await startedMachines();
  expect(machines.map((m) => m.region).sort()).toEqual(['ams', 'dfw', 'dfw']);

  const response = await page.goto(`${edge('ams')}/`);
  expect(response?.status()).toBe(200);
  await expect(page.locator('body')).toHaveAttribute('data-edge-region', 'ams');

  // Every Machine's demo stream shows up as a card naming its home Machine and region, linking to it.
  for (const m of machines) {
    const card = page.locator(`[data-testid="stream-card"][data-machine-id="${m.id}"]`).first();
    await expect(card).toBeVisible();
    await expect(card).toHaveAttribute('data-region', m.region);
    await expect(card).toContainText(m.id);
    await expect(card.getByRole('link')).toHaveAttribute('href', new RegExp(`^/watch/[^/?]+\\?instance=${m.id}$`));
  }
});
