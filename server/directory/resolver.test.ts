import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countingResolver } from './resolver.ts';

test('countingResolver: counts every question, answers and failures pass through', async () => {
  let queries = 0;
  const resolver = countingResolver(
    {
      resolveTxt: async (name) => [[`txt of ${name}`]],
      resolve6: (name) => {
        // A resolver that throws at once still yields a rejected promise, as the callers expect.
        if (name === 'bad') throw new Error('ENOTFOUND bad');
        return Promise.resolve([`aaaa of ${name}`]);
      },
    },
    () => queries++,
  );
  assert.deepEqual(await resolver.resolveTxt('vms.app.internal'), [['txt of vms.app.internal']]);
  assert.deepEqual(await resolver.resolve6('app.internal'), ['aaaa of app.internal']);
  const failed = resolver.resolve6('bad');
  assert.ok(failed instanceof Promise);
  await assert.rejects(failed, /ENOTFOUND/);
  assert.equal(queries, 3);
});
