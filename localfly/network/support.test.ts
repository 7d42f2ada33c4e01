import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceSupport } from './support.ts';

test('namespace mode needs Linux, CAP_NET_ADMIN and CAP_SYS_ADMIN', () => {
  const netAdmin = 1n << 12n;
  const sysAdmin = 1n << 21n;
  const rows: Array<[string, bigint | null, string | null]> = [
    ['linux', 0x1ffffffffffn, null],
    ['linux', netAdmin | sysAdmin, null],
    ['linux', netAdmin, 'not root (network namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN)'],
    ['linux', sysAdmin, 'not root (network namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN)'],
    ['linux', 0n, 'not root (network namespaces need CAP_NET_ADMIN and CAP_SYS_ADMIN)'],
    ['linux', null, 'cannot read this process capabilities (/proc/self/status)'],
    ['darwin', 0x1ffffffffffn, 'network namespaces are Linux only (this is darwin)'],
  ];
  for (const [platform, capEff, reason] of rows) {
    const support = namespaceSupport({ platform, capEff });
    assert.deepEqual(support, reason === null ? { ok: true } : { ok: false, reason }, `${platform} ${capEff}`);
  }
});
