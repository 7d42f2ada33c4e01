/**
 * bench/thumbnails: what live thumbnails add to the private peer API. One home Machine with 50 live
 * streams, each storing a new thumbnail every THUMBNAIL_INTERVAL_MS (staggered, as creators go live at
 * different times), and a peer that keeps copies. Every byte between the two Machines' peer APIs
 * (requests and answers, headers included) passes through a counting TCP relay that DNS names as the
 * Machine. The same window without uploads is the baseline (discovery's own polling); the difference
 * is what thumbnails cost, reported per minute.
 *
 *   npm run bench -- thumbnails        (about 2 x 30 s + 10 s; add --seconds N to change the window)
 */
import net from 'node:net';
import { ulid } from 'ulid';
import { loadDemoStills } from '../../server/demo/demo-stills.ts';
import {
  Cluster,
  type ClusterDns,
  type ClusterNode,
  type DnsMachine,
  MemoryDns,
  waitFor,
} from '../../test/support/directory-cluster.ts';

const STREAMS = 50;
const INTERVAL_MS = 10_000;
const INTERNAL_PORT = 23091;
/** Loopback addresses 127.0.27.40-43 are this benchmark's: two Machines, and a relay in front of each. */
const MACHINES = ['127.0.27.40', '127.0.27.41'] as const;
const RELAYS: Record<string, string> = { '127.0.27.40': '127.0.27.42', '127.0.27.41': '127.0.27.43' };
const secondsArg = process.argv.indexOf('--seconds');
const WINDOW_S = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 30;
if (!Number.isInteger(WINDOW_S) || WINDOW_S < 10 || WINDOW_S > 600) {
  console.error('--seconds must be a whole number from 10 to 600');
  process.exit(2);
}

interface Relay {
  /** Bytes from callers to the Machine's API (requests), and from it back (answers). */
  in: number;
  out: number;
  close(): Promise<void>;
}

/** A TCP relay on `listen`:port to `target`:port that counts what passes each way. */
function countingRelay(listen: string, target: string, port: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay: Relay = { in: 0, out: 0, close: () => new Promise((resolve) => server.close(() => resolve())) };
  const server = net.createServer((client) => {
    // Leave from the caller's own relay address, which DNS gives as the caller's: the Machine checks
    // who calls it (and that a push comes from the Machine it names) by those addresses.
    const caller = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    const upstream = net.connect({ host: target, port, localAddress: RELAYS[caller] ?? listen });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      relay.in += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      relay.out += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = relay.close;
  relay.close = () => {
    for (const s of sockets) s.destroy();
    return close();
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listen, () => resolve(relay));
  });
}

/** Names each Machine by its relay's address, so every peer request passes through a relay. */
class RelayedDns implements ClusterDns {
  readonly server = null;
  readonly inner = new MemoryDns();
  readonly resolver = this.inner.resolver;
  publish(app: string, machines: readonly DnsMachine[]): void {
    this.inner.publish(
      app,
      machines.map((m) => ({ ...m, address: RELAYS[m.address] ?? m.address })),
    );
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

interface Window {
  homeIn: number;
  homeOut: number;
  peerIn: number;
  peerOut: number;
  uploads: number;
  uploadedBytes: number;
  /** Image bytes the peer fetched in the window. */
  fetchedBytes: number;
}

async function measure(
  relays: Relay[],
  home: ClusterNode,
  streams: readonly string[],
  stills: readonly Buffer[],
  upload: boolean,
  peerStats: () => { fetchedBytes: number },
): Promise<Window> {
  let uploads = 0;
  let uploadedBytes = 0;
  const timers: NodeJS.Timeout[] = [];
  if (upload) {
    // Stream i sends at i * interval / streams into each interval: evenly spread, as independent creators.
    streams.forEach((id, i) => {
      let n = 0;
      const send = () => {
        const still = stills[(i + n++) % stills.length]!;
        const result = home.app.thumbnails.put(id, still);
        if (!result.ok) throw new Error(`upload refused: ${result.error}`);
        uploads++;
        uploadedBytes += still.length;
      };
      timers.push(
        setTimeout(
          () => {
            send();
            timers.push(setInterval(send, INTERVAL_MS));
          },
          (i * INTERVAL_MS) / streams.length,
        ),
      );
    });
  }
  // Steady state: every stream has had its first thumbnail (each of those is named at once) before the
  // window opens.
  if (upload) await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 500));
  const start = relays.map((r) => ({ in: r.in, out: r.out }));
  const counted = { uploads, uploadedBytes, fetched: peerStats().fetchedBytes };
  await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
  for (const t of timers) clearTimeout(t);
  const [h, p] = relays.map((r, i) => ({ in: r.in - start[i]!.in, out: r.out - start[i]!.out }));
  return {
    homeIn: h!.in,
    homeOut: h!.out,
    peerIn: p!.in,
    peerOut: p!.out,
    uploads: uploads - counted.uploads,
    uploadedBytes: uploadedBytes - counted.uploadedBytes,
    fetchedBytes: peerStats().fetchedBytes - counted.fetched,
  };
}

async function main(): Promise<void> {
  const stills = loadDemoStills();
  const relays = await Promise.all(MACHINES.map((a) => countingRelay(RELAYS[a]!, a, INTERNAL_PORT)));
  const dns = new RelayedDns();
  const cluster = await Cluster.start({
    addresses: MACHINES,
    internalPort: INTERNAL_PORT,
    discoveryIntervalMs: 5000,
    dns,
    appName: 'bench-thumbnails',
    thumbnails: {},
  });
  try {
    const [home, peer] = cluster.nodes as [ClusterNode, ClusterNode];
    const streams = Array.from({ length: STREAMS }, (_, i) => home.source.start({ id: ulid(), title: `s${i}` }).id);
    await Promise.all(cluster.nodes.map((n) => n.directory.discoverNow()));
    await waitFor('the peer lists every stream', () => peer.directory.list().length === STREAMS, 10_000);

    console.log(
      `${STREAMS} streams on one home, a new thumbnail each every ${INTERVAL_MS / 1000} s (demo stills, ${stills
        .map((s) => s.length)
        .join('/')} bytes), one peer; windows of ${WINDOW_S} s`,
    );
    const peerStats = () => peer.app.thumbnailSharing.stats();
    const base = await measure(relays, home, streams, stills, false, peerStats);
    const withThumbs = await measure(relays, home, streams, stills, true, peerStats);
    const perMin = (bytes: number) => (bytes * 60) / WINDOW_S;
    const stats = peerStats();
    const added = {
      home: perMin(withThumbs.homeIn + withThumbs.homeOut - base.homeIn - base.homeOut),
      peer: perMin(withThumbs.peerIn + withThumbs.peerOut - base.peerIn - base.peerOut),
    };
    const meanStill = withThumbs.uploadedBytes / withThumbs.uploads;
    console.log('\n| per minute | baseline (no uploads) | with thumbnails | added by thumbnails |');
    console.log('| --- | --- | --- | --- |');
    const row = (what: string, b: number, w: number) =>
      console.log(`| ${what} | ${kb(perMin(b))} | ${kb(perMin(w))} | ${kb(perMin(w - b))} |`);
    row("home's peer API, in: the peer's thumbnail and snapshot GETs", base.homeIn, withThumbs.homeIn);
    row("home's peer API, out: thumbnails, snapshots, 304s", base.homeOut, withThumbs.homeOut);
    row("peer's peer API, in: the home's snapshot pushes and GETs", base.peerIn, withThumbs.peerIn);
    row("peer's peer API, out: push outcomes, 304s", base.peerOut, withThumbs.peerOut);
    console.log(
      `\nadded per minute: ${kb(added.home)} at the home's peer API, ${kb(added.peer)} at the peer's; ${kb(added.home + added.peer)} between the two Machines`,
    );
    console.log(
      `uploads in the window ${withThumbs.uploads} (${((withThumbs.uploads * 60) / WINDOW_S).toFixed(0)}/min, mean ${meanStill.toFixed(0)} bytes), ${kb(withThumbs.fetchedBytes)} of images fetched by the peer; in all it fetched ${stats.fetches}, refused ${stats.refused}, failed ${stats.fetchesFailed}; holds ${stats.copies} copies, ${kb(stats.copyBytes)}`,
    );
    const pushes = home.directory.stats();
    console.log(`the home's snapshot pushes in all: ${pushes.pushesSent} taken, ${pushes.pushesFailed} failed`);
    // Everything added beyond the images the peer fetched, per upload.
    const overhead = (added.home + added.peer - perMin(withThumbs.fetchedBytes)) / perMin(withThumbs.uploads);
    console.log(`overhead per upload beyond the image itself (headers, snapshot pushes): ${overhead.toFixed(0)} bytes`);
    const worst = (perMin(withThumbs.uploads) * (64 * 1024 + Math.max(0, overhead))) / 1024;
    console.log(`at the 64 KB cap the same rate would add about ${worst.toFixed(0)} KB per minute`);
  } finally {
    await cluster.close();
    await Promise.all(relays.map((r) => r.close()));
  }
}

await main();
