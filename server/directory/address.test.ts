import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectTarget, isSpecificAddress, normalizeAddress } from './address.ts';

test('normalizeAddress: mapped IPv4 becomes IPv4, IPv6 is canonical', () => {
  const rows: [string, string][] = [
    ['127.0.0.2', '127.0.0.2'],
    ['::ffff:127.0.0.2', '127.0.0.2'],
    ['::FFFF:127.0.0.3', '127.0.0.3'],
    ['::ffff:7f00:2', '127.0.0.2'],
    ['0:0:0:0:0:ffff:7f00:0102', '127.0.1.2'],
    ['fdaa:0:1:a7b:0:0:0:2', 'fdaa:0:1:a7b::2'],
    ['FDAA::2', 'fdaa::2'],
    ['::1', '::1'],
    ['localhost', 'localhost'],
  ];
  for (const [input, output] of rows) assert.equal(normalizeAddress(input), output, input);
});

test('isSpecificAddress: wildcards and names are not', () => {
  const rows: [string, boolean][] = [
    ['::', false],
    ['0.0.0.0', false],
    ['localhost', false],
    ['127.0.0.2', true],
    ['fdaa::2', true],
    ['::1', true],
  ];
  for (const [host, specific] of rows) assert.equal(isSpecificAddress(host), specific, host);
});

test('connectTarget pins the source address when HOST is one address of the same family', () => {
  const rows: { peer: string; self: string; want: ReturnType<typeof connectTarget> }[] = [
    { peer: '::ffff:127.0.0.3', self: '127.0.0.2', want: { host: '127.0.0.3', family: 4, localAddress: '127.0.0.2' } },
    { peer: '::ffff:127.0.0.3', self: '::', want: { host: '127.0.0.3', family: 4 } },
    { peer: 'fdaa::3', self: '::', want: { host: 'fdaa::3', family: 6 } },
    { peer: 'fdaa::3', self: 'fdaa::2', want: { host: 'fdaa::3', family: 6, localAddress: 'fdaa::2' } },
    { peer: 'fdaa::3', self: '127.0.0.2', want: { host: 'fdaa::3', family: 6 } },
    { peer: '127.0.0.3', self: '::ffff:127.0.0.2', want: { host: '127.0.0.3', family: 4, localAddress: '127.0.0.2' } },
  ];
  for (const { peer, self, want } of rows) assert.deepEqual(connectTarget(peer, self), want, `${peer} from ${self}`);
});
