import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey } from './client-key.ts';

test('clientKey: fly-client-ip on Fly, the socket address off Fly, IPv6 by its /64', () => {
  const rows: [string | undefined, string | undefined, boolean, string][] = [
    ['203.0.113.7', '172.16.0.2', true, '203.0.113.7'],
    ['203.0.113.7', '127.0.0.1', false, '127.0.0.1'],
    [undefined, '127.0.0.1', true, '127.0.0.1'],
    ['', '::ffff:127.0.0.5', true, '127.0.0.5'],
    ['2001:db8:1:2:aaaa::1', undefined, true, '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', undefined, true, '2001:db8:1:2::/64'],
    ['2001:0DB8::1', undefined, true, '2001:db8:0:0::/64'],
    [undefined, '::1', false, '0:0:0:0::/64'],
    [undefined, undefined, false, 'unknown'],
  ];
  for (const [header, socket, onFly, expected] of rows) {
    assert.equal(clientKey(header, socket, onFly), expected, `${header} ${socket} ${onFly}`);
  }
});
