import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { build, OTHER_ID, SELF_ID } from '../../test/support/app.ts';

/** Writes a raw WebSocket handshake and returns the response head (status line + headers). */
function rawUpgrade(port: number, path: string, extraHeaders: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port }, () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          ...extraHeaders,
          '',
          '',
        ].join('\r\n'),
      );
    });
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const end = data.indexOf('\r\n\r\n');
      if (end !== -1) {
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

async function listen(t: import('node:test').TestContext) {
  const app = await build(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

test('a wrong-Machine upgrade (?instance=) gets 307 + fly-replay and never 101', async (t) => {
  const port = await listen(t);
  const head = await rawUpgrade(port, `/ws/whoami?instance=${OTHER_ID}`);
  assert.match(head, /^HTTP\/1\.1 307 /);
  assert.match(head, new RegExp(`\r\nfly-replay: instance=${OTHER_ID};timeout=5s;fallback=prefer_self\r\n`, 'i'));
  assert.doesNotMatch(head, /101|sec-websocket-accept/i);
});

test('a wrong-Machine upgrade by cookie gets 307 + prefer_instance', async (t) => {
  const port = await listen(t);
  const head = await rawUpgrade(port, '/ws/whoami', [`Cookie: fly-machine-id=${OTHER_ID}`]);
  assert.match(head, /^HTTP\/1\.1 307 /);
  assert.match(head, new RegExp(`\r\nfly-replay: prefer_instance=${OTHER_ID}\r\n`, 'i'));
  assert.doesNotMatch(head, /sec-websocket-accept/i);
});

test('a bad ?instance= on an upgrade is a 400, not a 101', async (t) => {
  const port = await listen(t);
  const head = await rawUpgrade(port, '/ws/whoami?instance=XYZ');
  assert.match(head, /^HTTP\/1\.1 400 /);
});

test('a right-Machine upgrade gets 101', async (t) => {
  const port = await listen(t);
  const head = await rawUpgrade(port, `/ws/whoami?instance=${SELF_ID}`);
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.match(head, /sec-websocket-accept/i);
});

/** The Set-Cookie lines of a response head. */
function setCookies(head: string): string[] {
  return head
    .split('\r\n')
    .filter((line) => /^set-cookie:/i.test(line))
    .map((line) => line.slice(line.indexOf(':') + 1).trim());
}

const REPLAY_SRC = `Fly-Replay-Src: instance=${OTHER_ID};region=dfw;t=1700000000000000`;

// README "Routing rules": the rows that change the cookie hold for a WebSocket upgrade's 101 too.
const cookieRows: Array<[string, string, string[], RegExp]> = [
  [
    '5: ?instance= this Machine sets the cookie',
    `/ws/whoami?instance=${SELF_ID}`,
    [],
    new RegExp(`^fly-machine-id=${SELF_ID}; Max-Age=518400; Path=/; HttpOnly; SameSite=Lax$`),
  ],
  [
    '7: ?instance= another Machine, already replayed: rewritten',
    `/ws/whoami?instance=${OTHER_ID}`,
    [REPLAY_SRC],
    new RegExp(`^fly-machine-id=${SELF_ID};`),
  ],
  [
    '11: a malformed cookie is cleared',
    '/ws/whoami',
    ['Cookie: fly-machine-id=XYZ'],
    /^fly-machine-id=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax$/,
  ],
  [
    '14: cookie for another Machine, already replayed: rewritten',
    '/ws/whoami',
    [`Cookie: fly-machine-id=${OTHER_ID}`, REPLAY_SRC],
    new RegExp(`^fly-machine-id=${SELF_ID};`),
  ],
  [
    '14: cookie for another Machine, replayed on a cache miss: rewritten',
    '/ws/whoami',
    [`Cookie: fly-machine-id=${OTHER_ID}`, 'Fly-Replay-Cache-Status: miss'],
    new RegExp(`^fly-machine-id=${SELF_ID};`),
  ],
  [
    '15: cookie for a Machine the directory does not list: rewritten',
    '/ws/whoami',
    [`Cookie: fly-machine-id=${OTHER_ID}`],
    new RegExp(`^fly-machine-id=${SELF_ID};`),
  ],
];
for (const [row, path, headers, expected] of cookieRows) {
  test(`a 101 carries the cookie change of routing row ${row}`, async (t) => {
    const app = await build(t);
    t.mock.method(app.directory, 'machineKnown', (id: string) => id === SELF_ID);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const head = await rawUpgrade((app.server.address() as AddressInfo).port, path, headers);
    assert.match(head, /^HTTP\/1\.1 101 /);
    const cookies = setCookies(head);
    assert.equal(cookies.length, 1, head);
    assert.match(cookies[0]!, expected);
  });
}

test('a 101 for a cookie that names this Machine sets no cookie', async (t) => {
  const port = await listen(t);
  const head = await rawUpgrade(port, '/ws/whoami', [`Cookie: fly-machine-id=${SELF_ID}`]);
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.deepEqual(setCookies(head), []);
});

test('/ws/whoami sends who answered once, then closes normally', async (t) => {
  const port = await listen(t);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/whoami`);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
  assert.equal(code, 1000);
  assert.deepEqual(
    messages.map((m) => JSON.parse(m)),
    [{ machineId: SELF_ID, region: 'ams', app: 'replaycast-test' }],
  );
});
