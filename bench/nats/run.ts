/**
 * bench/nats: what the embedded supercluster adds to a video frame's trip, and what a stalled
 * subscriber costs the others.
 *
 * Three nats-servers configured by the app's own code (server/relay/: config text, supervisor,
 * RELAY_SECRET-authenticated routes and gateways, write_deadline 2 s): ams (1 server) and dfw (2), on
 * this benchmark's loopback block. A publisher on dfw-1 sends 10 KB frames at 30 fps; subscribers on
 * dfw-1 (one server), dfw-2 (+ a route) and ams (+ a gateway) receive them, and the same frames go over
 * one plain TCP socket as the baseline, all in one run and one process (one clock). Then a subscriber
 * on ams stops reading: how long until ams cuts it once its writes block, and the ams subscriber's p99
 * meanwhile against before.
 *
 * Run: npm run bench -- nats   (or: npx tsx bench/nats/run.ts); BENCH_SECONDS (default 20) sets the
 * measured phase. Exit code 1 on any lost frame, a cut later than write_deadline + 1 s, or the healthy
 * ams subscriber's p99 during the stall above max(2x, +20 ms) of the control's (a dfw-2 subscriber in the
 * same window), or any of its frames delayed by half of write_deadline or more.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { natsServerConfig, type ServerSettings } from '../../server/relay/config-text.ts';
import { DEFAULT_RELAY_LIMITS } from '../../server/relay/limits.ts';
import { NatsSupervisor } from '../../server/relay/supervisor.ts';
import { buildTopology } from '../../server/relay/topology.ts';
import { requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { directPath, frame, PROBE_SEQ, Receiver, stalledSubscriber, summarize } from './paths.ts';

const FRAME_BYTES = 10 * 1024;
const FPS = 30;
const WARMUP_FRAMES = 30;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WRITE_DEADLINE_MS = 2000;
/** The stall phase gives up after this long (kernel buffers take a while to fill at 300 KB/s). */
const STALL_MAX_MS = 90_000;
const AFTER_CUT_MS = 3000;
/** p99 moves this much between windows from scheduling alone on a busy 2-core machine. */
const NOISE_MS = 20;
const SUBJECT = 'bench.frames';
/** This benchmark's loopback block: 127.0.26.2-4. */
const ADDRESSES = { ams: '127.0.26.2', dfw1: '127.0.26.3', dfw2: '127.0.26.4' };
const SECRET = `bench-${Math.random().toString(36).slice(2)}-secret`;

function settings(name: string, region: string, host: string): ServerSettings {
  return {
    name,
    localHost: host,
    clientPort: 4222,
    monitorPort: 8222,
    maxPayloadBytes: 2 * 1024 * 1024,
    writeDeadlineMs: WRITE_DEADLINE_MS,
    cluster: { region, host, clusterPort: 6222, gatewayPort: 7222, secret: SECRET },
  };
}

async function startServers(bin: string): Promise<NatsSupervisor[]> {
  const regions = [
    { region: 'ams', addresses: [ADDRESSES.ams] },
    { region: 'dfw', addresses: [ADDRESSES.dfw1, ADDRESSES.dfw2] },
  ];
  const machines = [
    ['ams', 'ams', ADDRESSES.ams],
    ['dfw-1', 'dfw', ADDRESSES.dfw1],
    ['dfw-2', 'dfw', ADDRESSES.dfw2],
  ] as const;
  return Promise.all(
    machines.map(async ([name, region, host]) => {
      const s = new NatsSupervisor({
        bin,
        log: pino({ level: 'silent' }),
        secrets: [SECRET],
        ports: [],
        limits: DEFAULT_RELAY_LIMITS,
      });
      await s.start(natsServerConfig(settings(name, region, host), buildTopology(region, host, regions)));
      return s;
    }),
  );
}

async function json<T>(host: string, path: string): Promise<T> {
  return (await (await fetch(`http://${host}:8222${path}`, { signal: AbortSignal.timeout(2000) })).json()) as T;
}

const client = (host: string) => connect({ servers: `nats://${host}:4222`, ignoreClusterUpdates: true });
const fmt = (ms: number) => ms.toFixed(2);

async function main(): Promise<number> {
  const bin = requireNatsServer();
  const servers = await startServers(bin);
  const conns: NatsConnection[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  try {
    await waitFor(
      'supercluster formed',
      async () => {
        const gw = await json<{ inbound_gateways: Record<string, unknown[]> }>(ADDRESSES.ams, '/gatewayz');
        const routes = await json<{ num_routes: number }>(ADDRESSES.dfw1, '/routez');
        return gw.inbound_gateways.dfw?.length === 2 && routes.num_routes === 1;
      },
      30_000,
      100,
    );

    const pub = await client(ADDRESSES.dfw1);
    conns.push(pub);
    const total = WARMUP_FRAMES + SECONDS * FPS;
    const receivers = {
      direct: new Receiver(WARMUP_FRAMES),
      local: new Receiver(WARMUP_FRAMES),
      route: new Receiver(WARMUP_FRAMES),
      gateway: new Receiver(WARMUP_FRAMES),
    };
    const direct = await directPath(ADDRESSES.ams, receivers.direct);
    closers.push(direct.close);
    for (const [path, host] of [
      ['local', ADDRESSES.dfw1],
      ['route', ADDRESSES.dfw2],
      ['gateway', ADDRESSES.ams],
    ] as const) {
      const nc = await client(host);
      conns.push(nc);
      const r = receivers[path];
      nc.subscribe(SUBJECT, { callback: (_err, msg) => r.record(msg.data) });
      await nc.flush();
    }
    // Interest crosses routes and the gateway asynchronously: probe until every subscriber hears dfw-1.
    await waitFor(
      'every subscriber reached',
      () => {
        pub.publish(SUBJECT, frame(PROBE_SEQ, 64));
        return [receivers.local, receivers.route, receivers.gateway].every((r) => r.seen.has(PROBE_SEQ));
      },
      10_000,
      50,
    );

    console.log(
      `phase 1: ${total} frames of ${FRAME_BYTES} B at ${FPS} fps from dfw-1 (first ${WARMUP_FRAMES} not measured)`,
    );
    const send = (seq: number) => {
      const f = frame(seq, FRAME_BYTES);
      pub.publish(SUBJECT, f);
      direct.send(f);
    };
    await paced(total, (seq) => send(seq));
    const everyone = Object.values(receivers);
    await waitFor('stragglers', () => everyone.every((r) => r.missing(0, total) === 0), 3000, 20).catch(
      () => undefined,
    );
    const rows = Object.entries(receivers).map(([path, r]) => ({
      path,
      ...summarize(r.latenciesMs),
      lost: r.missing(0, total),
    }));
    const base = rows[0]!;
    console.log(
      '\npath      hops                   frames  p50 ms  p99 ms  max ms  +p50 vs direct  +p99 vs direct  lost',
    );
    const hops: Record<string, string> = {
      direct: 'TCP socket',
      local: 'one server',
      route: 'server + route',
      gateway: 'server + gateway',
    };
    for (const r of rows) {
      console.log(
        `${r.path.padEnd(9)} ${hops[r.path]!.padEnd(22)} ${String(r.n).padStart(6)} ${fmt(r.p50).padStart(7)} ${fmt(r.p99).padStart(7)} ${fmt(r.max).padStart(7)} ${fmt(r.p50 - base.p50).padStart(15)} ${fmt(r.p99 - base.p99).padStart(15)} ${String(r.lost).padStart(5)}`,
      );
    }
    const local = rows[1]!;
    for (const r of rows.slice(2)) {
      console.log(`  one more hop (${r.path}): +${fmt(r.p50 - local.p50)} ms p50, +${fmt(r.p99 - local.p99)} ms p99`);
    }

    // Phase 2: a subscriber on ams stops reading while frames keep coming.
    console.log(`\nphase 2: a subscriber on ams stops reading (write_deadline ${WRITE_DEADLINE_MS} ms)`);
    const stallStart = performance.now();
    // The ams subscriber of phase 1 goes on; only what it receives from here on counts. The dfw-2
    // subscriber, on a server the stall cannot touch, is the control: same frames, same window, same
    // scheduling noise of this machine.
    const healthy = receivers.gateway;
    const control = receivers.route;
    const mark = healthy.latenciesMs.length;
    const controlMark = control.latenciesMs.length;
    const slowBefore = (await json<{ slow_consumers: number }>(ADDRESSES.ams, '/varz')).slow_consumers;
    const stalled = await stalledSubscriber(ADDRESSES.ams, 4222, SUBJECT, 'bench-stalled');
    closers.push(async () => stalled.destroy());
    // (time, pending bytes) of the stalled connection; blocked = unsent data ever since (see below).
    const samples: Array<[number, number]> = [];
    let cutAt: number | null = null;
    let seq = total;
    const firstStallSeq = seq;
    const stallDeadline = performance.now() + STALL_MAX_MS;
    const poll = setInterval(() => {
      void json<{ connections: Array<{ name?: string; pending_bytes: number }> }>(ADDRESSES.ams, '/connz').then(
        (c) => {
          const mine = c.connections.find((x) => x.name === 'bench-stalled');
          const now = performance.now();
          if (mine === undefined) cutAt ??= now;
          else samples.push([now, mine.pending_bytes]);
        },
        () => undefined,
      );
    }, 100);
    await pacedWhile(
      () => (cutAt === null || performance.now() < cutAt + AFTER_CUT_MS) && performance.now() < stallDeadline,
      () => send(seq++),
    );
    clearInterval(poll);
    await waitFor('stragglers', () => healthy.missing(firstStallSeq, seq) === 0, 3000, 20).catch(() => undefined);
    const closed = await json<{ connections: Array<{ name?: string; reason?: string }> }>(
      ADDRESSES.ams,
      '/connz?state=closed',
    );
    const reason = closed.connections.find((x) => x.name === 'bench-stalled')?.reason ?? 'not cut';
    const slowAfter = (await json<{ slow_consumers: number }>(ADDRESSES.ams, '/varz')).slow_consumers;
    const during = summarize(healthy.latenciesMs.slice(mark));
    const controlDuring = summarize(control.latenciesMs.slice(controlMark));
    const before = rows[3]!;
    // A reader that keeps up has unsent bytes now and then, for a moment; once the stalled reader's
    // kernel buffers are full the server's writes block and its unsent data never drains again. So
    // "blocked since" is the start of the last run of samples with pending bytes, up to the cut.
    let blockedAt: number | null = null;
    for (let i = samples.length - 1; i >= 0 && samples[i]![1] > 0; i--) blockedAt = samples[i]![0];
    const cutAfterBlockMs = blockedAt !== null && cutAt !== null ? cutAt - blockedAt : Number.NaN;
    console.log(
      `  stalled subscriber: writes blocked ${blockedAt === null ? 'never' : `${fmt((blockedAt - stallStart) / 1000)} s after it stopped reading`}`,
    );
    console.log(
      `  cut ${fmt(cutAfterBlockMs)} ms after its writes blocked (polled every 100 ms); reason: ${reason}; slow consumers +${slowAfter - slowBefore}`,
    );
    console.log(
      `  healthy ams subscriber: p50 ${fmt(during.p50)} ms, p99 ${fmt(during.p99)} ms, max ${fmt(during.max)} ms over ${during.n} frames; lost ${healthy.missing(firstStallSeq, seq)}`,
    );
    console.log(
      `  control (dfw-2, same window): p50 ${fmt(controlDuring.p50)} ms, p99 ${fmt(controlDuring.p99)} ms; the ams subscriber before the stall: p50 ${fmt(before.p50)} ms, p99 ${fmt(before.p99)} ms`,
    );

    const failures: string[] = [];
    if (rows.some((r) => r.lost > 0)) failures.push('frames lost in phase 1');
    if (healthy.missing(firstStallSeq, seq) > 0) failures.push('the healthy subscriber lost frames during the stall');
    if (!(cutAfterBlockMs <= WRITE_DEADLINE_MS + 1000))
      failures.push('the stalled subscriber was not cut within write_deadline + 1 s');
    // A stall that held the others up would show as delays of the order of write_deadline (seconds);
    // scheduling noise on a shared 2-core machine moves p99 by a few ms either way.
    if (during.p99 > Math.max(2 * controlDuring.p99, controlDuring.p99 + NOISE_MS))
      failures.push(
        `the healthy subscriber's p99 rose past max(2x, +${NOISE_MS} ms) of the control's during the stall`,
      );
    if (during.max >= WRITE_DEADLINE_MS / 2)
      failures.push('the healthy subscriber saw a delay of the order of write_deadline');
    console.log(failures.length === 0 ? '\nall checks pass' : `\nFAILED: ${failures.join('; ')}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
    for (const close of closers) await close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** Calls `send(seq)` for seq 0..count-1 at FPS, on a schedule that does not drift. */
async function paced(count: number, send: (seq: number) => void): Promise<void> {
  let seq = 0;
  await pacedWhile(
    () => seq < count,
    () => send(seq++),
  );
}

async function pacedWhile(more: () => boolean, tick: () => void): Promise<void> {
  const start = performance.now();
  for (let i = 0; more(); i++) {
    tick();
    const wait = start + ((i + 1) * 1000) / FPS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
