/**
 * bench/relay-home: what a relay costs its stream's home Machine, against what a direct viewer costs.
 *
 * The home (home.ts: its RelayEngine and nats-server, the stream with its publisher at 30 fps x 10 KB,
 * HomeLinks, its direct viewers) runs in a child process; this process holds the two ams
 * relays (their own RelayEngines, RelaySets with RELAY_VIEWERS in-process viewers each). The home's CPU
 * is its Node process plus its nats-server (/proc schedstat, every thread). Interleaved rounds of
 * ROUND_MS, all in one run: `relays` (N direct viewers, both relays attached), `alone` (N direct, no
 * relay), `double` (2N direct, no relay: the yardstick, CPU per direct viewer = (double - alone) / N).
 * A relay costs the home (relays - alone) / R; stated in viewers, k = that / the per-viewer cost.
 *
 * The direct viewers are real WebSocket clients in this process by default (a viewer's cost is mostly its
 * socket writes); BENCH_DIRECT_WS=0 makes them in-process (the fan-out code only: nearly free).
 *
 * Run: npm run bench -- relay-home (about 2 minutes). Exit 1 unless a relay (its nats-server share timed, its Node
 * side counted in messages) is judged at most RELAY_COST_MAX_VIEWERS direct viewers.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { loadConfig } from '../../server/config.ts';
import { RelaySet } from '../../server/relayed/relay-set.ts';
import { systemClock } from '../../server/streams/clock.ts';
import { newCounters } from '../../server/streams/relay-counters.ts';
import { decodeFrame, encodeControl } from '../../shared/protocol.ts';
import { requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { taskTimes } from '../proc.ts';
import { judge, medianEstimate, quantile } from '../verdict.ts';
import { AT, CountingViewer, IDS, silent, startEngine } from './cluster.ts';

/** The home's direct viewers are real WebSocket clients unless BENCH_DIRECT_WS=0 (in-process, fan-out code only). */
const DIRECT_WS = process.env.BENCH_DIRECT_WS !== '0';
const DIRECT_VIEWERS = Number(process.env.BENCH_DIRECT_VIEWERS ?? (DIRECT_WS ? 100 : 1000));
const RELAY_VIEWERS = Number(process.env.BENCH_RELAY_VIEWERS ?? 200);
const ROUND_MS = 6000;
/** After a change (viewers added, relays attached or gone), before the window starts. */
const SETTLE_MS = 2000;
/** A relay whose last viewer left unsubscribes this long after (RELAY_LINGER_MS, short for the bench). */
const LINGER_MS = 300;
/** Cycles of one round of each kind, the order rotated so no kind always comes first or last. */
const CYCLES: Kind[][] = [
  ['relays', 'alone', 'double'],
  ['double', 'alone', 'relays'],
  ['alone', 'double', 'relays'],
  ['relays', 'double', 'alone'],
];
/** The goal: a relay costs the home about what a viewer costs; fail past this many viewers' worth. */
const RELAY_COST_MAX_VIEWERS = 2;
type Kind = 'relays' | 'alone' | 'double';

/** A real WebSocket viewer of the home (BENCH_DIRECT_WS=1): counts frames, acks like the client. */
class WsViewer {
  readonly ws: WebSocket;
  frames = 0;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary || ++this.frames % 15 !== 0) return;
      const frame = decodeFrame(new Uint8Array(data as Buffer));
      if (frame.ok) this.ws.send(encodeControl({ type: 'ack', timestampUs: frame.value.timestampUs }));
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRET = `bench-${Math.random().toString(36).slice(2)}-secret`;

/** The nats-server the home's process started (its child). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function gatewayOutMsgs(): Promise<number> {
  const res = await fetch(`http://${AT.dfw}:8222/gatewayz`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { outbound_gateways: Record<string, { connection?: { out_msgs: number } }> };
  return body.outbound_gateways.ams?.connection?.out_msgs ?? 0;
}

async function main(): Promise<number> {
  requireNatsServer();
  const load = loadavg().map((l) => l.toFixed(2));
  const child = fork(new URL('./home.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_SECRET: SECRET, BENCH_DIRECT_WS: DIRECT_WS ? '1' : '0' },
  });
  const replies: Array<{
    type: string;
    streamId?: string;
    wsPort?: number;
    n?: number;
    frames?: number;
    inMsgs?: number;
    outMsgs?: number;
  }> = [];
  child.on('message', (m) => replies.push(m as (typeof replies)[number]));
  const relays = [startEngine(IDS.ams1, 'ams', AT.ams1, SECRET), startEngine(IDS.ams2, 'ams', AT.ams2, SECRET)];
  const sets: RelaySet[] = [];
  const wsViewers: WsViewer[] = [];
  try {
    await waitFor('the home', () => replies.some((r) => r.type === 'ready'), 60_000, 100);
    await waitFor('the relays', () => relays.every((e) => e.status() === 'ok'), 30_000, 100);
    const streamId = replies.find((r) => r.type === 'ready')!.streamId!;
    const natsPid = childPids(child.pid!)[0];
    if (natsPid === undefined) throw new Error('the home has no nats-server child');
    const { streams } = loadConfig({});
    for (const [i, e] of relays.entries()) {
      sets.push(
        new RelaySet({
          connection: () => e.connection(),
          homeOf: () => ({ machineId: IDS.dfw }),
          self: { machineId: i === 0 ? IDS.ams1 : IDS.ams2, region: 'ams' },
          limits: streams,
          clock: systemClock,
          counters: newCounters(),
          log: silent,
          lingerMs: LINGER_MS,
          joinTimeoutMs: 5000,
          heartbeatMs: 5000,
          onChange: () => {},
        }),
      );
    }
    let relayViewers: CountingViewer[] = [];
    const wsPort = replies.find((r) => r.type === 'ready')!.wsPort;
    const setDirect = async (n: number) => {
      if (wsPort !== undefined) {
        while (wsViewers.length < n) wsViewers.push(new WsViewer(`ws://${AT.dfw}:${wsPort}/`));
        while (wsViewers.length > n) wsViewers.pop()!.ws.close();
        await waitFor(
          'the direct viewers open',
          () => wsViewers.every((v) => v.ws.readyState === WebSocket.OPEN),
          20_000,
          20,
        );
        return wsViewers.reduce((a, v) => a + v.frames, 0);
      }
      const mark = replies.length;
      child.send({ type: 'viewers', n });
      await waitFor('the home', () => replies.slice(mark).some((r) => r.type === 'viewers' && r.n === n), 10_000, 20);
      return replies.slice(mark).find((r) => r.type === 'viewers')!.frames!;
    };
    /** The home's NATS client counters (messages its Node process received and sent so far). */
    const natsCounts = async () => {
      const mark = replies.length;
      child.send({ type: 'nats' });
      await waitFor('the home', () => replies.slice(mark).some((r) => r.type === 'nats'), 10_000, 10);
      const r = replies.slice(mark).find((x) => x.type === 'nats')!;
      return { inMsgs: r.inMsgs!, outMsgs: r.outMsgs! };
    };
    const setRelays = async (on: boolean) => {
      if (on && relayViewers.length === 0) {
        relayViewers = sets.flatMap((set) =>
          Array.from({ length: RELAY_VIEWERS }, () => {
            const v = new CountingViewer();
            v.session = set.addViewer(streamId, v);
            if (v.session === null) throw new Error('a relay refused a viewer');
            return v;
          }),
        );
        await waitFor('every relayed viewer receiving', () => relayViewers.every((v) => v.frames > 0), 20_000, 50);
      } else if (!on) {
        for (const v of relayViewers) v.session!.onClose();
        relayViewers = [];
      }
    };

    console.log(
      `load average ${load.join(' ')} (shared machine); 30 fps x 10 KB; N = ${DIRECT_VIEWERS} direct ${DIRECT_WS ? 'WebSocket' : 'in-process'} viewers on the home, R = 2 relays x ${RELAY_VIEWERS} viewers; rounds of ${ROUND_MS} ms`,
    );
    type Got = { node: number; nats: number; inPerS: number; outPerS: number; directPerViewerS: number };
    const cycles: Array<Record<Kind, Got>> = [];
    for (const cycle of CYCLES) {
      const got = {} as Record<Kind, Got>;
      for (const kind of cycle) {
        const direct = kind === 'double' ? 2 * DIRECT_VIEWERS : DIRECT_VIEWERS;
        await setDirect(direct);
        await setRelays(kind === 'relays');
        await sleep(SETTLE_MS);
        const directBefore = await setDirect(direct);
        const framesBefore = relayViewers.reduce((a, v) => a + v.frames, 0);
        const gwBefore = await gatewayOutMsgs();
        const c0 = await natsCounts();
        const [h0, n0] = [taskTimes(child.pid!), taskTimes(natsPid)];
        const t0 = performance.now();
        await sleep(ROUND_MS);
        const [h1, n1] = [taskTimes(child.pid!), taskTimes(natsPid)];
        const ms = performance.now() - t0;
        const c1 = await natsCounts();
        const gw = await gatewayOutMsgs();
        const directFrames = (await setDirect(direct)) - directBefore;
        if (h0 === null || h1 === null || n0 === null || n1 === null) throw new Error('the home went away');
        const pct = (a: number, b: number) => (100 * (b - a)) / (ms * 1e6);
        const node = pct(h0.runNs, h1.runNs);
        const nats = pct(n0.runNs, n1.runNs);
        const perS = (a: number, b: number) => ((b - a) * 1000) / ms;
        got[kind] = {
          node,
          nats,
          inPerS: perS(c0.inMsgs, c1.inMsgs),
          outPerS: perS(c0.outMsgs, c1.outMsgs),
          // A direct viewer's messages a second: the frames it was sent and the acks it sent back (1 in 15).
          directPerViewerS: (perS(0, directFrames) / direct) * (1 + 1 / 15),
        };
        console.log(
          `${kind.padEnd(7)} home CPU ${(node + nats).toFixed(1)} % (node ${node.toFixed(1)}, nats-server ${nats.toFixed(1)}); ` +
            `home loop waited for a core ${pct(h0.waitNs, h1.waitNs).toFixed(1)} %; gateway to ams ${(((gw - gwBefore) * 1000) / ms / 30).toFixed(2)} msgs per frame; ` +
            `direct frames ${directFrames}, relayed frames ${relayViewers.reduce((a, v) => a + v.frames, 0) - framesBefore}; ` +
            `home's NATS client ${got[kind].inPerS.toFixed(2)} msgs/s in, ${got[kind].outPerS.toFixed(2)} out`,
        );
      }
      cycles.push(got);
    }
    const total = (x: Got) => x.node + x.nats;
    const med = (f: (c: Record<Kind, Got>) => number) => quantile(cycles.map(f), 0.5);
    const [a, b, c] = (['relays', 'alone', 'double'] as const).map((kind) => med((x) => total(x[kind])));
    // Per cycle (three neighbouring rounds), so a drift in the machine's load over the run cancels.
    const perViewer = cycles.map((x) => (total(x.double) - total(x.alone)) / DIRECT_VIEWERS);
    const perRelay = cycles.map((x) => (total(x.relays) - total(x.alone)) / 2);
    const perRelayNats = med((x) => (x.relays.nats - x.alone.nats) / 2);
    const perRelayNode = med((x) => (x.relays.node - x.alone.node) / 2);
    const k = medianEstimate(perRelay.map((r, i) => r / perViewer[i]!));
    const mv = quantile(perViewer, 0.5);
    const fmt = (n: number) => n.toFixed(3);
    console.log(
      `\nmedians of ${cycles.length} cycles: home CPU ${a!.toFixed(1)} % with 2 relays, ${b!.toFixed(1)} % alone (ratio ${(a! / b!).toFixed(3)}), ${c!.toFixed(1)} % with ${2 * DIRECT_VIEWERS} direct viewers`,
    );
    console.log(
      `a direct (${DIRECT_WS ? 'WebSocket' : 'in-process'}) viewer costs the home ${fmt(mv)} % of a core (per cycle: ${perViewer.map(fmt).join(', ')}); ` +
        `a relay ${fmt(quantile(perRelay, 0.5))} % (per cycle: ${perRelay.map(fmt).join(', ')}; nats-server ${fmt(perRelayNats)}, node ${fmt(perRelayNode)})`,
    );
    console.log(
      `timed whole: a relay costs the home about ${k.median.toFixed(1)} direct viewers (interval ${k.low.toFixed(1)} to ${k.high.toFixed(1)}, per cycle ${perRelay.map((r, i) => (r / perViewer[i]!).toFixed(1)).join(', ')})`,
    );
    // Counted, not timed: what a relay adds to the messages the home's Node process handles (joins, counts,
    // keyframe requests; its frames are published once with or without relays), against a direct viewer's.
    const relayMsgs = med((x) => (x.relays.inPerS + x.relays.outPerS - x.alone.inPerS - x.alone.outPerS) / 2);
    const viewerMsgs = med((x) => x.alone.directPerViewerS);
    const kNats = medianEstimate(cycles.map((x, i) => (x.relays.nats - x.alone.nats) / 2 / perViewer[i]!));
    console.log(
      `counted: a relay adds ${relayMsgs.toFixed(2)} NATS messages a second to the home's Node process, a direct viewer ${viewerMsgs.toFixed(1)} WebSocket messages (frames and acks): the Node side of a relay is ${(relayMsgs / viewerMsgs).toFixed(3)} viewers' worth in messages`,
    );
    console.log(
      `timed: the home's nats-server's part of a relay (its gateway copy) is ${kNats.median.toFixed(1)} direct viewers (interval ${kNats.low.toFixed(1)} to ${kNats.high.toFixed(1)})`,
    );
    if (!perViewer.every((v) => v > 0)) {
      console.log('NOT TRUSTWORTHY  a cycle read a non-positive cost per viewer: the rounds are too noisy to tell');
      return 1;
    }
    // The verdict is on the parts: the whole home's CPU moves by several % between rounds of the same kind
    // (its Node process alone is ~13 % of a core), so the whole relay's k above spans tens of viewers; the
    // nats-server's share is timed on its own (~1-2 % of a core, steady) and the Node side is counted.
    const nodeK = relayMsgs / viewerMsgs;
    const parts = { median: kNats.median + nodeK, low: kNats.low + nodeK, high: kNats.high + nodeK, n: kNats.n };
    const verdict = judge(parts, RELAY_COST_MAX_VIEWERS, 'at-most');
    console.log(
      `${verdict}  a relay costs the home ${parts.median.toFixed(1)} direct viewers' worth (interval ${parts.low.toFixed(1)} to ${parts.high.toFixed(1)}: nats-server timed + Node side counted), goal at most ${RELAY_COST_MAX_VIEWERS}`,
    );
    const ok = verdict === 'PASS';
    return ok ? 0 : 1;
  } finally {
    for (const s of sets) s.closeAll('bench over');
    for (const v of wsViewers) v.ws.terminate();
    child.send({ type: 'close' });
    await new Promise((r) => child.once('exit', r));
    await Promise.all(relays.map((e) => e.stop()));
  }
}

process.exitCode = await main();
