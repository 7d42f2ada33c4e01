import { Counter, Gauge, type Registry } from 'prom-client';
import type { RelayStats } from './engine.ts';

/**
 * The NATS engine's figures on the app's metrics registry, read at scrape time. Totals come from
 * nats-server's /varz, which counts since that server process started: a restart resets them, which
 * Prometheus' rate() treats as a counter reset.
 */
export function registerRelayMetrics(registry: Registry, stats: () => RelayStats): void {
  const registers = [registry];
  const gauge = (name: string, help: string, pick: (s: RelayStats) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const v = pick(stats());
        if (v !== undefined) this.set(v);
      },
    });
  const total = (name: string, help: string, pick: (s: RelayStats) => number | undefined) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const v = pick(stats());
        if (v !== undefined) {
          this.reset();
          this.inc(v);
        }
      },
    });
  const fig = (f: (x: NonNullable<RelayStats['figures']>) => number) => (s: RelayStats) =>
    s.figures === null ? undefined : f(s.figures);

  gauge('replaycast_relay_ready', '1 when this Machine can take relay work (NATS connected and linked).', (s) =>
    s.status === 'ok' ? 1 : 0,
  );
  gauge('replaycast_relay_enabled', '1 unless NATS is off on this Machine.', (s) => (s.mode === 'off' ? 0 : 1));
  gauge('replaycast_nats_server_up', '1 while the embedded nats-server runs.', (s) =>
    s.mode === 'embedded' ? Number(s.serverState === 'running') : undefined,
  );
  total(
    'replaycast_nats_server_restarts_total',
    'Start attempts of the embedded nats-server after the first (restarts, retries while a port is taken).',
    (s) => (s.mode === 'embedded' ? s.serverRestarts : undefined),
  );
  gauge(
    'replaycast_nats_connections',
    'Client connections to this nats-server.',
    fig((f) => f.connections),
  );
  total(
    'replaycast_nats_in_msgs_total',
    'Messages received by this nats-server.',
    fig((f) => f.inMsgs),
  );
  total(
    'replaycast_nats_out_msgs_total',
    'Messages sent by this nats-server.',
    fig((f) => f.outMsgs),
  );
  total(
    'replaycast_nats_in_bytes_total',
    'Bytes received by this nats-server.',
    fig((f) => f.inBytes),
  );
  total(
    'replaycast_nats_out_bytes_total',
    'Bytes sent by this nats-server.',
    fig((f) => f.outBytes),
  );
  total(
    'replaycast_nats_slow_consumers_total',
    'Connections this nats-server cut as slow consumers.',
    fig((f) => f.slowConsumers),
  );
  gauge(
    'replaycast_nats_routes',
    'Route connections to servers of this region.',
    fig((f) => f.routes),
  );
  gauge(
    'replaycast_nats_gateways',
    'Outbound gateway connections to other regions.',
    fig((f) => f.gatewaysOut.length),
  );
}
