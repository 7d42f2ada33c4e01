import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byRun, staleRuns } from './stale.ts';

const A = '286533db064e58';
const B = 'd8913edc2d66e8';

test('resources group by run; foreign names are never picked up', () => {
  const inventory = {
    namespaces: [`localfly-aaaaaa-${A}`, `localfly-aaaaaa-${B}`, `localfly-bbbbbb-${A}`, 'cni-42', 'localfly-x'],
    links: ['lo', 'eth0', 'lflyaaaaaa', 'lflyaaaaaa-0', 'lflyaaaaaa-1', 'lflybbbbbb-0', 'docker0', 'lfly-other'],
    etcDirs: [`localfly-aaaaaa-${A}`, 'my-own-ns', `localfly-cccccc-${B}`],
    stateRuns: ['aaaaaa', 'not-a-run', 'dddddd'],
  };
  assert.deepEqual(byRun(inventory), [
    {
      run: 'aaaaaa',
      namespaces: [`localfly-aaaaaa-${A}`, `localfly-aaaaaa-${B}`],
      links: ['lflyaaaaaa', 'lflyaaaaaa-0', 'lflyaaaaaa-1'],
      etcDirs: [`localfly-aaaaaa-${A}`],
      state: true,
    },
    { run: 'bbbbbb', namespaces: [`localfly-bbbbbb-${A}`], links: ['lflybbbbbb-0'], etcDirs: [], state: false },
    { run: 'cccccc', namespaces: [], links: [], etcDirs: [`localfly-cccccc-${B}`], state: false },
    { run: 'dddddd', namespaces: [], links: [], etcDirs: [], state: true },
  ]);
  assert.deepEqual(
    staleRuns(inventory, (run) => run === 'aaaaaa' || run === 'cccccc').map((r) => r.run),
    ['bbbbbb', 'dddddd'],
    'live runs are left alone',
  );
  assert.deepEqual(
    staleRuns({ namespaces: ['cni-1'], links: ['eth0'], etcDirs: ['x'], stateRuns: [] }, () => false),
    [],
  );
});
