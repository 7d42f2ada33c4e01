/**
 * bench/directory-flood: what pushes to the private peer API cost the public directory API of one Machine.
 *
 * 1. forged: a caller holding the bearer token (from an address that is no Machine) pushes 6 snapshots
 *    of about 500 KB, each naming a different made-up Machine, bootId "zzzz", thousands of tiny streams;
 *    then 6 well-formed snapshots (ULID boot id, 50 valid streams) naming the Machine's real peers.
 * 2. honest-large: the largest view real Machines can give it: 880 Machines of the app (each in DNS, each
 *    pushing from its own loopback address) with 50 valid streams each, 44 000 streams.
 *
 * After each: the push answers, streams listed, the size of `GET /api/streams`, and the CPU time per
 * `GET /api/streams/<id>` and per `GET /api/streams` (process.cpuUsage over a fixed number of injected
 * requests; the server runs in this process). Bounded: fixed request counts, and a deadline for the run.
 *
 * Run: npm run bench -- directory-flood   (or: npx tsx bench/directory-flood/run.ts)
 */
import { encodeTime, ulid } from 'ulid';
import { Cluster, type ClusterNode, MemoryDns, randomMachineId } from '../../test/support/directory-cluster.ts';
import { peerCall } from '../../test/support/peer-call.ts';

const INTERNAL_PORT = 23088;
/** Loopback: the Machine under test at 127.0.23.230, the attacker at .231, honest pushers in 127.0.30-33.x. */
const TARGET = '127.0.23.230';
const ATTACKER = '127.0.23.231';
const TOKEN = 'bench-token';
const APP = 'bench-flood';
const FORGED_PUSHES = 6;
const FORGED_BODY_BYTES = 500_000;
const HONEST_MACHINES = 880;
const STREAMS_PER_MACHINE = 50;
const GETS_BY_ID = 50;
const GETS_LIST = 10;
const PUSH_CONCURRENCY = 8;
/** The whole run stops here whatever happens (about 35 s on a loaded 2-core machine). */
const DEADLINE_MS = 180_000;

interface Figures {
  scenario: string;
  pushes: string;
  streams: number;
  listBytes: number;
  cpuPerGetByIdMs: number;
  cpuPerGetListMs: number;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function measure(node: ClusterNode, scenario: string, pushes: string): Promise<Figures> {
  const list = await node.app.inject('/api/streams');
  const streams = (list.json() as { streams: { id: string }[] }).streams;
  const id = streams[Math.floor(streams.length / 2)]?.id ?? ulid();
  await node.app.inject(`/api/streams/${id}`);
  let started = cpuMs();
  for (let i = 0; i < GETS_BY_ID; i++) await node.app.inject(`/api/streams/${id}`);
  const cpuPerGetByIdMs = (cpuMs() - started) / GETS_BY_ID;
  started = cpuMs();
  for (let i = 0; i < GETS_LIST; i++) await node.app.inject('/api/streams');
  const cpuPerGetListMs = (cpuMs() - started) / GETS_LIST;
  return {
    scenario,
    pushes,
    streams: streams.length,
    listBytes: list.rawPayload.length,
    cpuPerGetByIdMs,
    cpuPerGetListMs,
  };
}

/** Counts of each answer, e.g. "6 x 200 (applied)". */
function tally(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].map(([a, n]) => `${n} x ${a}`).join(', ');
}

function answer(res: { status: number; body: string }): string {
  try {
    const body = JSON.parse(res.body) as { outcome?: string; error?: string };
    return `${res.status} (${body.outcome ?? body.error ?? ''})`;
  } catch {
    return String(res.status);
  }
}

/** About `bytes` of JSON: as many tiny streams as fit. */
function forgedSnapshot(machineId: string, bytes: number): unknown {
  const streams: unknown[] = [];
  const snapshot = { machineId, region: 'ams', bootId: 'zzzz', version: 1, streams };
  const entryBytes = JSON.stringify({ id: 'zzzzz', title: '', creator: '', viewers: 0, startedAt: 0 }).length + 1;
  const count = Math.floor((bytes - 100) / entryBytes);
  for (let i = 0; i < count; i++) {
    streams.push({
      // Distinct across pushes (the Machine id ends in the push number), so they add up.
      id: machineId.slice(-1) + i.toString(36).padStart(4, '0'),
      title: '',
      creator: '',
      viewers: 0,
      startedAt: 0,
    });
  }
  return snapshot;
}

function validSnapshot(machineId: string, label: string): unknown {
  // A boot id just ahead of now (within the allowed skew), so it outranks the Machine's real one.
  const bootId = `${encodeTime(Date.now() + 30_000, 10)}${'0'.repeat(16)}`;
  const streams = Array.from({ length: STREAMS_PER_MACHINE }, (_, i) => ({
    id: ulid(),
    title: `${label} ${i}`,
    creator: 'bench',
    viewers: i,
    startedAt: Date.now(),
  }));
  return { machineId, region: 'ams', bootId, version: 1, streams };
}

async function forged(): Promise<Figures> {
  const dns = new MemoryDns();
  const cluster = await Cluster.start({
    addresses: [TARGET],
    internalPort: INTERNAL_PORT,
    discoveryIntervalMs: 600_000,
    dns,
    appName: APP,
    internalToken: TOKEN,
  });
  try {
    const node = cluster.nodes[0]!;
    // Real peers in DNS, so the well-formed forgeries name Machines that exist.
    const peers = Array.from({ length: FORGED_PUSHES }, (_, i) => ({
      id: randomMachineId(),
      region: 'ams',
      address: `127.0.30.${i + 1}`,
    }));
    dns.publish(APP, [{ id: node.id, region: node.region, address: TARGET }, ...peers]);
    const answers: string[] = [];
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < FORGED_PUSHES; i++) {
      const body = forgedSnapshot(`${'c'.repeat(13)}${i}`, FORGED_BODY_BYTES);
      answers.push(answer(await peerCall(TARGET, INTERNAL_PORT, { from: ATTACKER, method: 'POST', body, headers })));
    }
    for (const peer of peers) {
      const body = validSnapshot(peer.id, 'forged');
      answers.push(answer(await peerCall(TARGET, INTERNAL_PORT, { from: ATTACKER, method: 'POST', body, headers })));
    }
    return await measure(node, 'forged pushes (token holder)', tally(answers));
  } finally {
    await cluster.close();
  }
}

async function honestLarge(): Promise<Figures> {
  const dns = new MemoryDns();
  const cluster = await Cluster.start({
    addresses: [TARGET],
    internalPort: INTERNAL_PORT,
    discoveryIntervalMs: 600_000,
    dns,
    appName: APP,
  });
  try {
    const node = cluster.nodes[0]!;
    const machines = Array.from({ length: HONEST_MACHINES }, (_, i) => ({
      id: randomMachineId(),
      region: 'ams',
      address: `127.0.${30 + Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
    dns.publish(APP, [{ id: node.id, region: node.region, address: TARGET }, ...machines]);
    // One round lists them and learns their addresses, so the peer API lets them in.
    await node.directory.discoverNow();
    const answers: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < machines.length) {
        const m = machines[next++]!;
        const body = validSnapshot(m.id, 'honest');
        answers.push(answer(await peerCall(TARGET, INTERNAL_PORT, { from: m.address, method: 'POST', body })));
      }
    };
    await Promise.all(Array.from({ length: PUSH_CONCURRENCY }, worker));
    return await measure(node, `honest-large (${HONEST_MACHINES} Machines x ${STREAMS_PER_MACHINE})`, tally(answers));
  } finally {
    await cluster.close();
  }
}

setTimeout(() => {
  console.error(`bench/directory-flood: still running after ${DEADLINE_MS} ms; giving up`);
  process.exit(1);
}, DEADLINE_MS).unref();
const results = [await forged(), await honestLarge()];
console.log(
  '| scenario | push answers | streams listed | GET /api/streams bytes | CPU per GET /api/streams/<id> | CPU per GET /api/streams |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${r.pushes} | ${r.streams} | ${r.listBytes} | ${r.cpuPerGetByIdMs.toFixed(3)} ms | ${r.cpuPerGetListMs.toFixed(1)} ms |`,
  );
}
