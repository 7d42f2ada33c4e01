import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalIpv6,
  MAX_MACHINE_INDEX,
  machineNames,
  newRunId,
  runNames,
  runOfLink,
  runOfNamespace,
} from './names.ts';

const ID = '286533db064e58';

test('run names: bridge, subnet and DNS address derive from the run id', () => {
  const rows: Array<[string, string, string, string]> = [
    ['3fa2c1', 'lfly3fa2c1', 'fdaa:0:3f:a2c1::/64', 'fdaa:0:3f:a2c1::3'],
    ['00000a', 'lfly00000a', 'fdaa:0:0:a::/64', 'fdaa:0:0:a::3'],
    ['000000', 'lfly000000', 'fdaa::/64', 'fdaa::3'],
  ];
  for (const [run, bridge, subnet, host] of rows) {
    const names = runNames(run);
    assert.deepEqual([names.bridge, names.subnet, names.hostAddress], [bridge, subnet, host], run);
    assert.equal(names.ownerFile, `/run/localfly/${run}/owner.json`);
  }
  for (const bad of ['', '3FA2C1', '3fa2c', '3fa2c1x', '../etc']) assert.throws(() => runNames(bad), RangeError, bad);
});

test('machine names: namespace, veth (15 bytes at most) and address per index', () => {
  const rows: Array<[number, string, string]> = [
    [0, 'lfly3fa2c1-0', 'fdaa:0:3f:a2c1::100'],
    [35, 'lfly3fa2c1-z', 'fdaa:0:3f:a2c1::123'],
    [36, 'lfly3fa2c1-10', 'fdaa:0:3f:a2c1::124'],
    [MAX_MACHINE_INDEX, 'lfly3fa2c1-zzzz', 'fdaa:0:3f:a2c1::19:a1ff'],
  ];
  for (const [index, veth, address] of rows) {
    const m = machineNames('3fa2c1', ID, index);
    assert.deepEqual([m.veth, m.address], [veth, address], String(index));
    assert.ok(Buffer.byteLength(m.veth) <= 15);
  }
  const m = machineNames('3fa2c1', ID, 0);
  assert.equal(m.netns, `localfly-3fa2c1-${ID}`);
  assert.equal(m.etcDir, `/etc/netns/localfly-3fa2c1-${ID}`);
  assert.equal(m.agentSocket, `/run/localfly/3fa2c1/${ID}.sock`);
  for (const bad of [-1, 1.5, MAX_MACHINE_INDEX + 1]) assert.throws(() => machineNames('3fa2c1', ID, bad), RangeError);
});

test('only localfly names map back to a run', () => {
  const namespaces: Array<[string, string | null]> = [
    [`localfly-3fa2c1-${ID}`, '3fa2c1'],
    ['localfly-3fa2c1', null],
    [`localfly-3FA2C1-${ID}`, null],
    [`xlocalfly-3fa2c1-${ID}`, null],
    ['cni-1234', null],
  ];
  for (const [name, run] of namespaces) assert.equal(runOfNamespace(name), run, name);
  const links: Array<[string, string | null]> = [
    ['lfly3fa2c1', '3fa2c1'],
    ['lfly3fa2c1-0', '3fa2c1'],
    ['lfly3fa2c1-zzzz', '3fa2c1'],
    ['lfly3fa2c1-zzzzz', null],
    ['lfly3fa2c', null],
    ['eth0', null],
    ['docker0', null],
    ['lflyzzzzzz', null],
  ];
  for (const [name, run] of links) assert.equal(runOfLink(name), run, name);
});

test('run ids are 6 hex chars and the addresses print as Node prints them', () => {
  for (let i = 0; i < 50; i++) assert.match(newRunId(), /^[0-9a-f]{6}$/);
  assert.equal(canonicalIpv6('FDAA:0000:003f:a2c1:0:0:0:0100'), 'fdaa:0:3f:a2c1::100');
});
