import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { reservePort } from '../machines/ports.ts';
import { dialMachine } from './dial.ts';

const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));

// The agent runs here in the test's own network; in a cluster it runs inside a Machine's namespace.
async function agent(t: TestContext, port: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'localfly-agent-'));
  const socket = join(dir, 'agent.sock');
  const child: ChildProcess = spawn(process.execPath, [AGENT, socket, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await once(readline.createInterface({ input: child.stdout! }), 'line');
  return socket;
}

test('through the agent: an HTTP exchange with 127.0.0.1:<port>, and a refusal with its code', async (t) => {
  const port = await reservePort('127.0.0.1', 0, 'test');
  const socket = await agent(t, port);
  await assert.rejects(dialMachine(socket), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');

  const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((resolve) => server.listen(port, '0.0.0.0', resolve));
  t.after(() => server.close());
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({
      host: 'fdaa::1',
      port,
      path: '/x',
      agent: undefined,
      createConnection: (_opts, cb) => {
        dialMachine(socket).then(
          (s) => cb(null, s),
          (err: Error) => cb(err, undefined as never),
        );
        return undefined as never;
      },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'hello /x');
});

test('no agent behind the socket is a refusal (nothing was delivered)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'localfly-agent-'));
  await assert.rejects(
    dialMachine(join(dir, 'none.sock')),
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
  );
  rmSync(dir, { recursive: true, force: true });
});

test('a Machine that speaks first: bytes in the same chunk as the agent status byte reach the caller', async (t) => {
  const upstream = net.createServer((s) => s.end('INFO {"server":"first"}\r\n'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  const dir = mkdtempSync(join(tmpdir(), 'localfly-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in agent that sends the status byte and the Machine's greeting in one write.
  const path = join(dir, 'agent.sock');
  const agentServer = net.createServer((client) => {
    const up = net.connect((upstream.address() as net.AddressInfo).port, '127.0.0.1');
    up.once('data', (greeting: Buffer) => {
      client.write(Buffer.concat([Buffer.from([1]), greeting]));
      up.pipe(client);
    });
  });
  await new Promise<void>((resolve) => agentServer.listen(path, resolve));
  t.after(() => agentServer.close());
  const socket = await dialMachine(path);
  const chunks: Buffer[] = [];
  socket.pipe(new Writable({ write: (c: Buffer, _e, cb) => cb(void chunks.push(c)) }));
  await once(socket, 'end');
  assert.equal(Buffer.concat(chunks).toString(), 'INFO {"server":"first"}\r\n');
});
