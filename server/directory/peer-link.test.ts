import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SNAPSHOT_PATH } from './peer-api.ts';
import { PeerLink, peerHeaders } from './peer-link.ts';

test('peerHeaders: the token as a bearer, the etag for a conditional fetch', () => {
  const rows: [string | null, string | undefined, Record<string, string>][] = [
    [null, undefined, {}],
    ['tok', undefined, { authorization: 'Bearer tok' }],
    [null, '"b.3"', { 'if-none-match': '"b.3"' }],
    ['tok', '"b.3"', { authorization: 'Bearer tok', 'if-none-match': '"b.3"' }],
  ];
  for (const [token, etag, want] of rows) assert.deepEqual(peerHeaders(token, etag), want, `${token} ${etag}`);
});

const PEER = 'bbbbbbbbbbbbbb';

test('PeerLink: asks DNS once per peer until forget(), sends the newest body', async (t) => {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const asked: string[] = [];
  const link = new PeerLink({
    appName: 'app',
    port: (server.address() as AddressInfo).port,
    selfHost: '127.0.0.1',
    token: 'tok',
    maxResponseBytes: 1024,
    resolve6: async (name) => {
      asked.push(name);
      return name.startsWith(PEER) ? ['::ffff:127.0.0.1'] : [];
    },
  });
  t.after(() => {
    link.close();
    server.close();
  });

  const first = await link.get(PEER, 2000, '"b.1"');
  assert.equal(first.status, 200);
  await link.get(PEER, 2000);
  assert.deepEqual(asked, [`${PEER}.vm.app.internal`], 'the address is cached');
  link.forget(PEER);
  let body = 'old';
  const posted = link.post(PEER, () => body, 2000);
  body = 'new';
  await posted;
  assert.equal(asked.length, 2, 'forget() makes the next request ask DNS again');

  assert.deepEqual(
    seen.map((r) => [r.method, r.url, r.headers.authorization, r.headers['if-none-match'], r.body]),
    [
      ['GET', SNAPSHOT_PATH, 'Bearer tok', '"b.1"', ''],
      ['GET', SNAPSHOT_PATH, 'Bearer tok', undefined, ''],
      ['POST', SNAPSHOT_PATH, 'Bearer tok', undefined, 'new'],
    ],
  );
  await assert.rejects(link.get('cccccccccccccc', 2000), /no AAAA for cccccccccccccc\.vm\.app\.internal/);
});
