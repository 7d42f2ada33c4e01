import type { Socket } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A relay that stops reading from its nats-server: the socket under its NATS client is paused, as a
 * relay Machine whose event loop froze would leave it. The client library does not expose the socket;
 * this reaches for it (bench only) and fails loudly if the library's layout changed.
 */
export function natsSocket(nc: NatsConnection): Socket {
  const socket = (nc as unknown as { protocol?: { transport?: { socket?: Socket } } }).protocol?.transport?.socket;
  if (socket === undefined || typeof socket.pause !== 'function') {
    throw new Error('the NATS client keeps its socket elsewhere now: update bench/relay/stall.ts');
  }
  return socket;
}

export interface ConnzSample {
  atMs: number;
  /** Bytes the server has for the connection but could not write yet; null once the connection is gone. */
  pendingBytes: number | null;
}

/**
 * When the server's writes to the stalled connection blocked for good and when it was cut, from /connz
 * samples: a reader that keeps up has unsent bytes now and then, for a moment; once the stalled
 * reader's kernel buffers are full the unsent data never drains again. So "blocked since" is the start
 * of the last run of samples with pending bytes before the cut.
 */
export function blockedAndCut(samples: readonly ConnzSample[]): { blockedAtMs: number | null; cutAtMs: number | null } {
  const cut = samples.findIndex((s) => s.pendingBytes === null);
  if (cut === -1) return { blockedAtMs: null, cutAtMs: null };
  let blockedAtMs: number | null = null;
  for (let i = cut - 1; i >= 0 && (samples[i]!.pendingBytes ?? 0) > 0; i--) blockedAtMs = samples[i]!.atMs;
  return { blockedAtMs, cutAtMs: samples[cut]!.atMs };
}

export interface Timed {
  readonly latenciesMs: number[];
  readonly seen: Set<number>;
}

export interface StallDeps {
  /** The stalled relay's NATS connection and its nats-server (monitor on :8222), and its client's name there. */
  connection: NatsConnection;
  serverHost: string;
  clientName: string;
  /** The other relay's viewers, which must not notice. */
  others: readonly Timed[];
  /** Frames in the window before (the no-stall baseline is each viewer's last this many latencies). */
  baselineFrames: number;
  /** Publishes the next frame; returns its timestamp (us). */
  publish: () => number;
  fps: number;
  writeDeadlineMs: number;
  maxMs: number;
  afterCutMs: number;
  summarize: (ms: number[]) => { p50: number; p99: number; max: number; n: number };
}

async function connz(host: string, name: string): Promise<number | null> {
  const res = await fetch(`http://${host}:8222/connz?limit=1024`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { connections: Array<{ name?: string; pending_bytes: number }> };
  return body.connections.find((c) => c.name === name)?.pending_bytes ?? null;
}

/**
 * Phase 2: one relay stops reading while frames keep coming; returns the verdicts. The other relay's
 * viewers' p99 over the stall is compared with their p99 in the window just measured (no stall).
 */
export async function stallPhase(d: StallDeps): Promise<Array<readonly [string, boolean]>> {
  const fmt = (n: number) => n.toFixed(2);
  const baseline = d.summarize(d.others.flatMap((v) => v.latenciesMs.slice(-d.baselineFrames)));
  const marks = d.others.map((v) => v.latenciesMs.length);
  const socket = natsSocket(d.connection);
  if ((await connz(d.serverHost, d.clientName)) === null)
    throw new Error(`no connection ${d.clientName} on ${d.serverHost}`);
  const samples: ConnzSample[] = [];
  const start = performance.now();
  socket.pause();
  let polling = false;
  const poll = setInterval(() => {
    if (polling || samples.some((s) => s.pendingBytes === null)) return;
    polling = true;
    void connz(d.serverHost, d.clientName)
      .then(
        (pendingBytes) => samples.push({ atMs: performance.now(), pendingBytes }),
        () => undefined,
      )
      .finally(() => {
        polling = false;
      });
  }, 100);
  const frames: number[] = [];
  let i = 0;
  try {
    for (;;) {
      const { cutAtMs } = blockedAndCut(samples);
      const now = performance.now();
      if (now - start > d.maxMs || (cutAtMs !== null && now > cutAtMs + d.afterCutMs)) break;
      frames.push(d.publish());
      i++;
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i * 1000) / d.fps - performance.now())));
    }
  } finally {
    clearInterval(poll);
    // Reading again lets the client see the cut and reconnect, so the relay can be closed cleanly.
    socket.resume();
  }
  const end = performance.now() + 3000;
  while (performance.now() < end && !d.others.every((v) => frames.every((ts) => v.seen.has(ts)))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const during = d.summarize(d.others.flatMap((v, j) => v.latenciesMs.slice(marks[j])));
  const lost = d.others.reduce((n, v) => n + frames.filter((ts) => !v.seen.has(ts)).length, 0);
  const { blockedAtMs, cutAtMs } = blockedAndCut(samples);
  const cutAfterBlockMs = blockedAtMs !== null && cutAtMs !== null ? cutAtMs - blockedAtMs : Number.NaN;
  const ratio = during.p99 / baseline.p99;
  console.log(`\nstall: relay ${d.clientName} stops reading its nats-server (write_deadline ${d.writeDeadlineMs} ms)`);
  console.log(
    `  writes blocked ${blockedAtMs === null ? 'never' : `${fmt((blockedAtMs - start) / 1000)} s after it stopped reading`}; ` +
      `cut ${cutAtMs === null ? 'never' : `${fmt((cutAtMs - start) / 1000)} s after`}, ${Number.isNaN(cutAfterBlockMs) ? '-' : fmt(cutAfterBlockMs)} ms after its writes blocked (/connz polled every 100 ms)`,
  );
  console.log(
    `  the other relay's ${d.others.length} viewers: during the stall p50 ${fmt(during.p50)} / p99 ${fmt(during.p99)} / max ${fmt(during.max)} ms over ${frames.length} frames, lost ${lost}; ` +
      `without (the window before) p50 ${fmt(baseline.p50)} / p99 ${fmt(baseline.p99)} ms; p99 ratio ${ratio.toFixed(2)}`,
  );
  return [
    [
      `the stalled relay cut within write_deadline + 1 s of its writes blocking`,
      cutAfterBlockMs <= d.writeDeadlineMs + 1000,
    ],
    ['the other relay lost no frame during the stall', lost === 0],
    [
      `the other relay's p99 during the stall within max(2x, +${STALL_NOISE_MS} ms) of the window without`,
      during.p99 <= Math.max(2 * baseline.p99, baseline.p99 + STALL_NOISE_MS),
    ],
    ['the other relay saw no delay of the order of write_deadline', during.max < d.writeDeadlineMs / 2],
  ];
}

/** p99 moves this much between windows from scheduling alone on a busy 2-core machine (as bench/nats). */
const STALL_NOISE_MS = 20;
