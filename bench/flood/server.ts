import type { AddressInfo } from 'node:net';
import { buildApp } from '../../server/app.ts';
import { testConfig } from '../../server/config.ts';

/**
 * The whole app with its default limits, alone in its process so its memory is measured alone.
 * Talks to run.ts over IPC: sends `{ready, port, watchPath}`, then `socket` events
 * (a watch socket opened, received its first message over the refusal budget, closed: the server's
 * own clock), and answers `sample` with process.memoryUsage().
 */
const config = testConfig({ server: { port: 0 }, metrics: { port: 0 }, directory: { internalPort: 0 } });
const maxBadMessages = config.streams.wsMaxBadMessages;
const app = await buildApp(config, { prettyLogs: false });
await app.listen({ host: '127.0.0.1', port: 0 });
// Not through POST /api/streams: the burst's creations from this address must be the only ones.
const created = app.streams.create({ title: 'flood bench', creator: 'bench' });
if (!created.ok) throw new Error(created.error);
const { id } = created.stream;

app.websocketServer.on('connection', (ws) => {
  let received = 0;
  process.send!({ type: 'socket', event: 'open', atMs: performance.now() });
  ws.on('message', () => {
    if (++received === maxBadMessages + 1)
      process.send!({ type: 'socket', event: 'over-budget', atMs: performance.now() });
  });
  ws.on('close', () => process.send!({ type: 'socket', event: 'close', atMs: performance.now(), received }));
});

process.send!({ type: 'ready', port: (app.server.address() as AddressInfo).port, watchPath: `/ws/watch/${id}` });
process.on('message', (msg: { type: string; id?: number }) => {
  if (msg.type === 'sample') process.send!({ type: 'sample', id: msg.id, memory: process.memoryUsage() });
  else if (msg.type === 'close') void app.close().finally(() => process.exit(0));
});
