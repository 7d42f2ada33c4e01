import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMachineId } from '../../shared/machine-id.ts';
import { hostPort, loopbackAddress, mappedIpv6, newMachineId } from './addresses.ts';

test('loopbackAddress counts up from the base across octets', () => {
  const rows: Array<[string, number, string]> = [
    ['127.0.0.2', 0, '127.0.0.2'],
    ['127.0.0.2', 2, '127.0.0.4'],
    ['127.0.21.2', 1, '127.0.21.3'],
    ['127.0.0.254', 3, '127.0.1.1'],
    ['127.200.255.255', 1, '127.201.0.0'],
  ];
  for (const [base, index, expected] of rows)
    assert.equal(loopbackAddress(base, index), expected, `${base} + ${index}`);
});

test('loopbackAddress refuses non-loopback bases and running off 127/8', () => {
  for (const base of ['10.0.0.2', '128.0.0.1', '127.0.0', '127.0.0.256', 'localhost', '127.0.0.02', '']) {
    assert.throws(() => loopbackAddress(base, 0), RangeError, base);
  }
  assert.throws(() => loopbackAddress('127.255.255.255', 1), RangeError);
});

test('machine ids are 14 lowercase hex chars and avoid taken ones', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = newMachineId((candidate) => seen.has(candidate));
    assert.ok(isMachineId(id), id);
    assert.ok(!seen.has(id));
    seen.add(id);
  }
  let calls = 0;
  const id = newMachineId(() => ++calls < 3);
  assert.equal(calls, 3, 'retried until free');
  assert.ok(isMachineId(id));
});

test('mappedIpv6', () => {
  assert.equal(mappedIpv6('127.0.0.2'), '::ffff:127.0.0.2');
});

test('hostPort brackets IPv6 addresses', () => {
  assert.equal(hostPort('127.0.0.2', 8080), '127.0.0.2:8080');
  assert.equal(hostPort('fdaa:0:3f:a2c1::100', 8080), '[fdaa:0:3f:a2c1::100]:8080');
});
