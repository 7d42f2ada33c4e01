/**
 * Test fixture: a process that supervises one standalone nats-server on NATS_HOST, as the app does,
 * prints `{"natsPid":N}` once it runs, and on SIGINT waits a moment (as the app drains), prints whether
 * nats-server was still up, then stops it and exits.
 */
import { pino } from 'pino';
import { natsServerConfig } from '../../server/relay/config-text.ts';
import { DEFAULT_RELAY_LIMITS } from '../../server/relay/limits.ts';
import { NatsSupervisor } from '../../server/relay/supervisor.ts';
import { requireNatsServer } from './nats.ts';

const host = process.env.NATS_HOST ?? '127.0.0.1';
const supervisor = new NatsSupervisor({
  bin: requireNatsServer(),
  log: pino({ level: 'silent' }),
  secrets: [],
  ports: [],
  limits: DEFAULT_RELAY_LIMITS,
  onState: (state) => {
    if (state === 'running') process.stdout.write(`${JSON.stringify({ natsPid: supervisor.pid })}\n`);
  },
});
process.on('SIGINT', () => {
  setTimeout(() => {
    const pid = supervisor.pid;
    const alive = pid !== null && supervisor.state === 'running';
    process.stdout.write(`${JSON.stringify({ aliveAtShutdown: alive })}\n`);
    void supervisor.stop().then(() => process.exit(0));
  }, 300);
});
await supervisor.start(
  natsServerConfig(
    {
      name: 'fixture',
      localHost: host,
      clientPort: 4222,
      monitorPort: 8222,
      maxPayloadBytes: 1024 * 1024,
      writeDeadlineMs: 2000,
      cluster: null,
    },
    { routes: [], gateways: [] },
  ),
);
