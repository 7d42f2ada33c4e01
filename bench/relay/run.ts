/**
 * bench/relay: what the relay path adds to a frame's trip, and how many copies cross a region's gateway.
 *
 * Three Machines' worth of the app's own code in one process (one clock): a home in dfw and two relays
 * in ams, each with its real embedded nats-server (RelayEngine: the same config text, supervisor,
 * routes and gateway as in production) on this benchmark's loopback block. The home's stream has
 * HOME_VIEWERS in-process viewers; each relay serves RELAY_VIEWERS in-process viewers through the same
 * fan-out. Every viewer acks as the protocol asks. A publisher sends FRAME_BYTES frames at 30 fps for
 * BENCH_SECONDS; each viewer records each frame's time from the publisher's send. The WebSocket hop to
 * the browser is the same for both kinds of viewer and is left out: the relayed figure is the added path.
 *
 * Copies per region: the home server's outbound gateway to ams counts its messages (/gatewayz); per
 * frame published, about one crosses, whatever the number of relays and viewers there.
 *
 * A stalled relay (bench/relay/stall.ts): after the window the first ams relay's NATS client stops
 * reading; its nats-server must cut it within write_deadline, and the other relay's viewers must not
 * notice (no loss, p99 against the window before).
 *
 * Run: npm run bench -- relay. Exit 1 on a lost frame, relayed p99 more than RELAY_P99_BUDGET_MS above
 * the home viewers' in the same run, more than COPIES_MAX messages over the gateway per frame, or a failed stall check.
 */
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import pino from 'pino';
import { loadConfig } from '../../server/config.ts';
import { RelaySet } from '../../server/relayed/relay-set.ts';
import { systemClock } from '../../server/streams/clock.ts';
import type { Peer } from '../../server/streams/peer.ts';
import { newCounters } from '../../server/streams/relay-counters.ts';
import type { ViewerSession } from '../../server/streams/viewer-session.ts';
import { decodeFrame, encodeControl, encodeFrame } from '../../shared/protocol.ts';
import { loopbackEngine, tableResolver } from '../../test/support/loopback-engine.ts';
import { requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { summarize } from '../nats/paths.ts';
import { homeStream } from './home-stream.ts';
import { stallPhase } from './stall.ts';

const FPS = 30;
const FRAME_BYTES = 10 * 1024;
const KEYFRAME_EVERY = 30;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_FRAMES = 30;
const HOME_VIEWERS = 20;
const RELAY_VIEWERS = 20;
/** The goal: the relay path adds at most this to the p99 on loopback. */
const RELAY_P99_BUDGET_MS = 10;
/** Messages over the gateway per frame: one, plus the few viewer-count events in the same window. */
const COPIES_MAX = 1.1;
/** nats-server's write_deadline in the app's config: a peer whose writes block this long is cut. */
const WRITE_DEADLINE_MS = loadConfig({}).relay.writeDeadlineMs;
/** The stall phase gives up after this long (the kernel buffers take about 13 s to fill at 300 KB/s). */
const STALL_MAX_MS = 60_000;
/** Viewers ack every this many frames (half a second of media, as the client does). */
const ACK_EVERY = 15;
/** This benchmark's loopback block: 127.0.27.2-4. */
const AT = { dfw: '127.0.27.2', ams1: '127.0.27.3', ams2: '127.0.27.4' };
const APP = 'bench-relay';
const SECRET = `bench-${Math.random().toString(36).slice(2)}-secret`;
const IDS = { dfw: 'dddddddddddddd', ams1: 'a1a1a1a1a1a1a1', ams2: 'a2a2a2a2a2a2a2' };
const silent = pino({ level: process.env.BENCH_LOG ?? 'silent' });

const sentAt = new Map<number, number>();

/** An in-process viewer: records each frame's time since it was sent; acks like the client. */
class TimingViewer implements Peer {
  bufferedAmount = 0;
  session: ViewerSession | null = null;
  readonly latenciesMs: number[] = [];
  readonly seen = new Set<number>();
  private frames = 0;
  sendText(): void {}
  sendBinary(data: Uint8Array): void {
    const frame = decodeFrame(data);
    if (!frame.ok) return;
    const ts = frame.value.timestampUs;
    const at = sentAt.get(ts);
    if (at !== undefined && !this.seen.has(ts)) {
      this.seen.add(ts);
      this.latenciesMs.push(performance.now() - at);
    }
    if (++this.frames % ACK_EVERY === 0) this.session?.onText(encodeControl({ type: 'ack', timestampUs: ts }));
  }
  close(): void {}
}

const engine = (id: string, region: string, address: string, resolver: ReturnType<typeof tableResolver>) =>
  loopbackEngine({ id, region, address, secret: SECRET, appName: APP, log: silent, resolver, monitorIntervalMs: 200 });

async function gatewayOutMsgs(host: string, to: string): Promise<number> {
  const res = await fetch(`http://${host}:8222/gatewayz`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { outbound_gateways: Record<string, { connection?: { out_msgs: number } }> };
  return body.outbound_gateways[to]?.connection?.out_msgs ?? 0;
}

async function main(): Promise<number> {
  requireNatsServer();
  const load = loadavg().map((l) => l.toFixed(2));
  const table = new Map([
    ['dfw', [AT.dfw]],
    ['ams', [AT.ams1, AT.ams2]],
  ]);
  const resolver = tableResolver(table);
  const home = engine(IDS.dfw, 'dfw', AT.dfw, resolver);
  const relays = [engine(IDS.ams1, 'ams', AT.ams1, resolver), engine(IDS.ams2, 'ams', AT.ams2, resolver)];
  const all = [home, ...relays];
  const members = [
    { id: IDS.dfw, region: 'dfw' },
    { id: IDS.ams1, region: 'ams' },
    { id: IDS.ams2, region: 'ams' },
  ];
  all.forEach((e, i) => {
    e.setMembers(members.filter((_, j) => j !== i));
    e.start();
  });
  const cleanups: Array<() => unknown> = [];
  try {
    await waitFor('the supercluster', () => all.every((e) => e.status() === 'ok'), 30_000, 100);
    const { stream, publisher, links } = homeStream(home, IDS.dfw, silent);
    cleanups.push(() => links.closeAll());
    let seq = 0;
    const publish = () => {
      const ts = 1_000_000 + seq * 33_333;
      const data = encodeFrame({
        keyframe: seq % KEYFRAME_EVERY === 0,
        timestampUs: ts,
        payload: new Uint8Array(FRAME_BYTES),
      });
      sentAt.set(ts, performance.now());
      publisher.onBinary(data);
      seq++;
      return ts;
    };
    publish();

    const viewers = (n: number, add: (v: TimingViewer) => ViewerSession | null) =>
      Array.from({ length: n }, () => {
        const v = new TimingViewer();
        v.session = add(v);
        assert.ok(v.session !== null);
        return v;
      });
    const homeViewers = viewers(HOME_VIEWERS, (v) => stream.addViewer(v));
    const relayViewers = relays.flatMap((engine, i) => {
      const set = new RelaySet({
        connection: () => engine.connection(),
        homeOf: () => ({ machineId: IDS.dfw }),
        self: { machineId: i === 0 ? IDS.ams1 : IDS.ams2, region: 'ams' },
        limits: loadConfig({}).streams,
        clock: systemClock,
        counters: newCounters(),
        log: silent,
        lingerMs: 30_000,
        joinTimeoutMs: 5000,
        heartbeatMs: 5000,
        onChange: () => {},
      });
      cleanups.push(() => set.closeAll('bench over'));
      return viewers(RELAY_VIEWERS, (v) => set.addViewer(stream.id, v));
    });
    // Warm-up: every relayed viewer joined and receiving.
    await waitFor(
      'every relayed viewer receiving',
      () => {
        // The frame published on the previous try: this one cannot have crossed yet.
        const ok = seq > 1 && relayViewers.every((v) => v.seen.has(1_000_000 + (seq - 1) * 33_333));
        publish();
        return ok;
      },
      20_000,
      1000 / FPS,
    );
    for (let i = 0; i < WARMUP_FRAMES; i++) {
      publish();
      await new Promise((r) => setTimeout(r, 1000 / FPS));
    }
    const first = seq;
    const gatewayBefore = await gatewayOutMsgs(AT.dfw, 'ams');
    const total = SECONDS * FPS;
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      publish();
      const next = start + ((i + 1) * 1000) / FPS;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    const measured = new Set(Array.from({ length: total }, (_, i) => 1_000_000 + (first + i) * 33_333));
    const everyone = [...homeViewers, ...relayViewers];
    await waitFor(
      'stragglers',
      () => everyone.every((v) => [...measured].every((ts) => v.seen.has(ts))),
      3000,
      50,
    ).catch(() => undefined);
    const gatewayAfter = await gatewayOutMsgs(AT.dfw, 'ams');

    const stats = (vs: TimingViewer[]) => {
      const lat: number[] = [];
      let lost = 0;
      for (const v of vs) {
        for (const ts of measured) if (!v.seen.has(ts)) lost++;
        // Only the measured window's frames: the latencies are pushed in arrival order, the window's last.
        lat.push(...v.latenciesMs.slice(-total));
      }
      return { ...summarize(lat), lost };
    };
    const h = stats(homeViewers);
    const r = stats(relayViewers);
    const copies = (gatewayAfter - gatewayBefore) / total;
    const fmt = (n: number) => n.toFixed(2);
    console.log(`load average ${load.join(' ')} (shared machine); ${total} frames of ${FRAME_BYTES} B at ${FPS} fps`);
    console.log(`viewers: ${HOME_VIEWERS} on the home (dfw), ${RELAY_VIEWERS} on each of 2 relays (ams)`);
    console.log('\npath        viewers  p50 ms  p99 ms  max ms  lost');
    console.log(
      `home        ${String(HOME_VIEWERS).padStart(7)} ${fmt(h.p50).padStart(7)} ${fmt(h.p99).padStart(7)} ${fmt(h.max).padStart(7)} ${String(h.lost).padStart(5)}`,
    );
    console.log(
      `relayed     ${String(RELAY_VIEWERS * 2).padStart(7)} ${fmt(r.p50).padStart(7)} ${fmt(r.p99).padStart(7)} ${fmt(r.max).padStart(7)} ${String(r.lost).padStart(5)}`,
    );
    console.log(
      `relay path adds: p50 +${fmt(r.p50 - h.p50)} ms, p99 +${fmt(r.p99 - h.p99)} ms (budget +${RELAY_P99_BUDGET_MS} ms)`,
    );
    console.log(
      `gateway dfw -> ams: ${gatewayAfter - gatewayBefore} messages for ${total} frames = ${copies.toFixed(3)} per frame (2 relays, ${RELAY_VIEWERS * 2} viewers in ams)`,
    );
    const stalledNc = relays[0]!.connection();
    assert.ok(stalledNc !== null);
    const stall = await stallPhase({
      connection: stalledNc,
      serverHost: AT.ams1,
      clientName: `replaycast ${IDS.ams1}`,
      others: relayViewers.slice(RELAY_VIEWERS),
      baselineFrames: total,
      publish,
      fps: FPS,
      writeDeadlineMs: WRITE_DEADLINE_MS,
      maxMs: STALL_MAX_MS,
      afterCutMs: 3000,
      summarize,
    });
    const verdicts = [
      ['no lost frame', h.lost + r.lost === 0],
      [`relayed p99 within +${RELAY_P99_BUDGET_MS} ms of the home's`, r.p99 - h.p99 <= RELAY_P99_BUDGET_MS],
      [`at most ${COPIES_MAX} gateway messages per frame`, copies >= 1 && copies <= COPIES_MAX],
      ...stall,
    ] as const;
    for (const [what, ok] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
    return verdicts.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    for (const c of cleanups) await c();
    await Promise.all(all.map((e) => e.stop()));
  }
}

process.exitCode = await main();
