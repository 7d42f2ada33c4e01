import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostsFile, nsswitchConf, resolvConf } from './files.ts';

test('resolv.conf names localfly DNS only', () => {
  assert.equal(
    resolvConf('fdaa:0:3f:a2c1::3'),
    '# localfly: .internal names, as fdaa::3 on Fly\nnameserver fdaa:0:3f:a2c1::3\n',
  );
});

test('hosts: localhost, fly-local-6pn and the Machine id', () => {
  assert.equal(
    hostsFile('fdaa:0:3f:a2c1::100', '286533db064e58'),
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfdaa:0:3f:a2c1::100\tfly-local-6pn\nfdaa:0:3f:a2c1::100\t286533db064e58\n',
  );
});

test('nsswitch: host lookups become `files dns`; other lines stay', () => {
  const rows: Array<[string, string | null]> = [
    [
      'passwd: files\nhosts:          files mdns4_minimal [NOTFOUND=return] dns\n',
      'passwd: files\nhosts:          files dns\n',
    ],
    ['hosts: files resolve [!UNAVAIL=return] dns myhostname\nnetworks: files\n', 'hosts: files dns\nnetworks: files\n'],
    ['passwd: files\nhosts: files dns\n', null],
    ['passwd: files\n', null],
  ];
  for (const [input, output] of rows) assert.equal(nsswitchConf(input), output, input);
});
