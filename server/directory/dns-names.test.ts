import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appAddressesName, machineAddressName, vmsTxtName } from './dns-names.ts';

test('the .internal names asked of DNS', () => {
  const rows: [string, string][] = [
    [vmsTxtName('replaycast'), 'vms.replaycast.internal'],
    [machineAddressName('e784079b449483', 'replaycast'), 'e784079b449483.vm.replaycast.internal'],
    [appAddressesName('replaycast'), 'replaycast.internal'],
  ];
  for (const [got, want] of rows) assert.equal(got, want);
});
