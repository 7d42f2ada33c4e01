import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { type Listener, parseProcNet, readListeners, socketInodes, whoAnswers } from './listeners.ts';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

test('parseProcNet: listening sockets only, IPv4 and IPv6, mapped IPv4 given as IPv4', () => {
  const v4 = [
    HEADER,
    '   0: 0300007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
    '   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112 1 0 100 0 0 10 0',
    '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 113 1 0 100 0 0 10 0',
    '',
  ].join('\n');
  const v6 = [
    HEADER,
    '   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 121 1 0',
    '   1: 0000AAFD020001000000000003000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 122 1 0',
    '   2: 0000000000000000FFFF00000400007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123 1 0',
    '   3: 00000000000000000000000001000000:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 124 1 0',
  ].join('\n');
  assert.deepEqual(parseProcNet(v4), [
    { address: '127.0.0.3', port: 8080, inode: 111 },
    { address: '0.0.0.0', port: 8081, inode: 112 },
  ]);
  assert.deepEqual(parseProcNet(v6), [
    { address: '::', port: 8082, inode: 121 },
    { address: 'fdaa:0:1:2::3', port: 53, inode: 122 },
    { address: '127.0.0.4', port: 8080, inode: 123 },
    { address: '::1', port: 8083, inode: 124 },
  ]);
  assert.deepEqual(parseProcNet(''), []);
});

test('whoAnswers: the exact address first, then 0.0.0.0, then ::; own or not by socket inode', () => {
  const L = (address: string, inode: number, port = 8080): Listener => ({ address, port, inode });
  const rows: Array<[string, Listener[], number[], string]> = [
    ['127.0.0.3', [], [], 'none'],
    ['127.0.0.3', [L('127.0.0.4', 1)], [1], 'none'],
    ['127.0.0.3', [L('127.0.0.3', 1, 9999)], [1], 'none'],
    ['127.0.0.3', [L('127.0.0.3', 1)], [1], 'own 127.0.0.3'],
    ['127.0.0.3', [L('0.0.0.0', 2), L('127.0.0.3', 1)], [1], 'own 127.0.0.3'],
    ['127.0.0.3', [L('0.0.0.0', 2)], [1], 'other 0.0.0.0 wildcard'],
    ['127.0.0.3', [L('::', 2), L('0.0.0.0', 3)], [2], 'other 0.0.0.0 wildcard'],
    ['127.0.0.3', [L('::', 2)], [2], 'own :: wildcard'],
    ['127.0.0.3', [L('::', 2)], [], 'other :: wildcard'],
    ['127.0.0.3', [L('127.0.0.3', 5)], [1], 'other 127.0.0.3'],
  ];
  for (const [address, listeners, own, expected] of rows) {
    const a = whoAnswers(address, 8080, listeners, new Set(own));
    const text = a.kind === 'none' ? 'none' : `${a.kind} ${a.listener.address}${a.wildcard ? ' wildcard' : ''}`;
    assert.equal(text, expected, JSON.stringify([address, listeners, own]));
  }
});

test('this process: its own listener is found in /proc and its socket is its own', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const listeners = readListeners();
  assert.ok(listeners !== null, 'Linux has /proc/net/tcp');
  // The process group this test process belongs to (field 5 of /proc/self/stat).
  const pgid = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2]);
  const answer = whoAnswers('127.0.0.1', port, listeners, socketInodes(pgid));
  assert.equal(answer.kind, 'own');
  assert.equal(whoAnswers('127.0.0.1', port, listeners, new Set()).kind, 'other');
});
