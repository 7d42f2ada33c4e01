import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { LocalflyError } from '../listen.ts';
import type { MachineState, MachineView } from '../types.ts';
import type { DnsView } from './answers.ts';
import { type DnsServer, startDnsServer } from './server.ts';

function machine(id: string, region: string, state: MachineState, n: number): MachineView {
  return {
    id,
    region,
    state,
    address: `127.0.0.${n}`,
    port: 8080,
    privateIp: `::ffff:127.0.0.${n}`,
    processGroup: 'app',
  };
}

function setup(
  t: import('node:test').TestContext,
  machines: MachineView[],
  regionOfAddress?: (a: string) => string | undefined,
) {
  const view: DnsView = { apps: [{ name: 'demo', machines }], defaultRegion: 'ams' };
  const started = startDnsServer({ port: 0, view: () => view, regionOfAddress });
  t.after(async () => (await started).close());
  return started.then((server) => {
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([server.address]);
    return { server, resolver, view };
  });
}

async function rejectsWithCode(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, code);
    return true;
  });
}

test('Node resolver reads Fly-format TXT and AAAA answers, TTL 5', async (t) => {
  const machines = [
    machine('d8913edc2d66e8', 'dfw', 'started', 2),
    machine('d8d3370ae66948', 'ams', 'started', 3),
    machine('286533db064e58', 'dfw', 'stopped', 4),
  ];
  const { server, resolver } = await setup(t, machines);
  assert.match(server.address, /^127\.0\.0\.1:\d+$/);
  assert.notEqual(server.port, 0);

  assert.deepEqual(await resolver.resolveTxt('vms.demo.internal'), [['d8913edc2d66e8 dfw,d8d3370ae66948 ams']]);
  assert.deepEqual(await resolver.resolveTxt('all.vms.demo.internal'), [
    ['d8913edc2d66e8 dfw,d8d3370ae66948 ams,286533db064e58 dfw'],
  ]);
  assert.deepEqual(await resolver.resolveTxt('regions.demo.internal'), [['ams,dfw']]);
  assert.deepEqual(await resolver.resolveTxt('_apps.internal'), [['demo']]);
  assert.deepEqual(await resolver.resolveTxt('_instances.internal'), [
    [
      'instance=d8913edc2d66e8,app=demo,ip=::ffff:127.0.0.2,region=dfw;instance=d8d3370ae66948,app=demo,ip=::ffff:127.0.0.3,region=ams',
    ],
  ]);
  assert.deepEqual(await resolver.resolve6('d8d3370ae66948.vm.demo.internal', { ttl: true }), [
    { address: '::ffff:127.0.0.3', ttl: 5 },
  ]);
  assert.deepEqual(await resolver.resolve6('demo.internal'), ['::ffff:127.0.0.2', '::ffff:127.0.0.3']);
  assert.deepEqual(await resolver.resolve6('global.demo.internal'), ['::ffff:127.0.0.2', '::ffff:127.0.0.3']);
  assert.deepEqual(await resolver.resolve6('dfw.demo.internal'), ['::ffff:127.0.0.2']);
  assert.deepEqual(await resolver.resolve6('top1.nearest.of.demo.internal'), ['::ffff:127.0.0.3']);

  await rejectsWithCode(resolver.resolveTxt('vms.other.internal'), 'ENOTFOUND');
  await rejectsWithCode(resolver.resolve6('ffffffffffffff.vm.demo.internal'), 'ENOTFOUND');
  await rejectsWithCode(resolver.resolve6('286533db064e58.vm.demo.internal'), 'ENODATA');
  await rejectsWithCode(resolver.resolve4('demo.internal'), 'ENODATA');
});

test('answers follow the live state: a stopped Machine leaves vms at once', async (t) => {
  const a = machine('d8913edc2d66e8', 'dfw', 'started', 2);
  const { resolver, view } = await setup(t, [a]);
  assert.deepEqual(await resolver.resolveTxt('vms.demo.internal'), [['d8913edc2d66e8 dfw']]);
  (view.apps[0]!.machines as MachineView[])[0] = { ...a, state: 'stopped' };
  assert.deepEqual(await resolver.resolveTxt('vms.demo.internal'), [['']]);
  assert.deepEqual(await resolver.resolveTxt('all.vms.demo.internal'), [['d8913edc2d66e8 dfw']]);
});

test('a long TXT answer is split into 255-byte strings, truncated over UDP and fetched again over TCP', async (t) => {
  const many = Array.from({ length: 30 }, (_, i) =>
    machine(`${i.toString(16).padStart(2, '0')}${'a'.repeat(12)}`, i % 2 ? 'ams' : 'dfw', 'started', 10 + i),
  );
  const { resolver } = await setup(t, many);
  const expected = many.map((m) => `instance=${m.id},app=demo,ip=${m.privateIp},region=${m.region}`).join(';');
  assert.ok(expected.length > 1232, 'the answer does not fit one UDP datagram');
  const records = await resolver.resolveTxt('_instances.internal');
  assert.equal(records.length, 1);
  assert.ok(records[0]!.length > 1 && records[0]!.every((s) => s.length <= 255));
  assert.equal(records[0]!.join(''), expected);
});

test('UDP: an oversized answer has the TC bit and no records; garbage is ignored', async (t) => {
  const many = Array.from({ length: 30 }, (_, i) =>
    machine(`${i.toString(16).padStart(2, '0')}${'b'.repeat(12)}`, 'ams', 'started', 10 + i),
  );
  const { server } = await setup(t, many);
  const socket = dgram.createSocket('udp4');
  t.after(() => socket.close());
  socket.send(Buffer.from([1, 2, 3]), server.port, '127.0.0.1');
  socket.send(
    dnsPacket.encode({
      type: 'query',
      id: 42,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'TXT', name: '_instances.internal' }],
    }),
    server.port,
    '127.0.0.1',
  );
  const [message] = (await once(socket, 'message')) as [Buffer];
  const reply = dnsPacket.decode(message);
  assert.equal(reply.id, 42);
  assert.equal(reply.flag_tc, true);
  assert.equal(reply.flag_aa, true);
  assert.equal(reply.flag_rd, true);
  assert.equal(reply.answers?.length, 0);
});

test('TCP: several framed queries on one connection, answered in order', async (t) => {
  const { server } = await setup(t, [machine('d8913edc2d66e8', 'dfw', 'started', 2)]);
  const socket = net.connect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(
    Buffer.concat([
      dnsPacket.streamEncode({ type: 'query', id: 1, questions: [{ type: 'TXT', name: 'vms.demo.internal' }] }),
      dnsPacket.streamEncode({ type: 'query', id: 2, questions: [{ type: 'AAAA', name: 'nope.demo.internal' }] }),
    ]),
  );
  let received = Buffer.alloc(0);
  const replies: Array<dnsPacket.DecodedPacket & { rcode?: string }> = [];
  while (replies.length < 2) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received = Buffer.concat([received, chunk]);
    while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
      replies.push(dnsPacket.decode(received.subarray(2, 2 + received.readUInt16BE(0))));
      received = received.subarray(2 + received.readUInt16BE(0));
    }
  }
  assert.equal(replies[0]!.id, 1);
  assert.equal(replies[0]!.rcode, 'NOERROR');
  assert.deepEqual((replies[0]!.answers![0] as { data: Buffer[] }).data.map(String), ['d8913edc2d66e8 dfw']);
  assert.equal(replies[1]!.id, 2);
  assert.equal(replies[1]!.rcode, 'NXDOMAIN');
});

test('nearest counts from the asking Machine when its address is known', async (t) => {
  const machines = [machine('d8913edc2d66e8', 'dfw', 'started', 2), machine('d8d3370ae66948', 'ams', 'started', 3)];
  // Queries in this test come from 127.0.0.1; pretend that is a dfw Machine.
  const { resolver } = await setup(t, machines, (address) => (address === '127.0.0.1' ? 'dfw' : undefined));
  assert.deepEqual(await resolver.resolve6('top1.nearest.of.demo.internal'), ['::ffff:127.0.0.2']);
});

test('a port in use is a clear error', async (t) => {
  const { server } = await setup(t, []);
  let second: DnsServer | undefined;
  await assert.rejects(
    (async () => {
      second = await startDnsServer({ port: server.port, view: () => ({ apps: [], defaultRegion: 'ams' }) });
    })(),
    (err: Error) => err instanceof LocalflyError && err.message.includes(`127.0.0.1:${server.port} is already in use`),
  );
  await second?.close();
});

test('on an IPv6 address (as the Machines reach it in namespace mode): UDP and TCP, and the asker by its IPv6 source', async (t) => {
  const machines = [
    { ...machine('d8913edc2d66e8', 'dfw', 'started', 2), privateIp: 'fdaa:0:3f:a2c1::100' },
    { ...machine('d8d3370ae66948', 'ams', 'started', 3), privateIp: 'fdaa:0:3f:a2c1::101' },
  ];
  const askers: string[] = [];
  const server = await startDnsServer({
    host: '::1',
    port: 0,
    view: () => ({ apps: [{ name: 'demo', machines }], defaultRegion: 'ams' }),
    regionOfAddress: (address) => {
      askers.push(address);
      return address === '::1' ? 'dfw' : undefined;
    },
  });
  t.after(() => server.close());
  assert.match(server.address, /^\[::1\]:\d+$/);
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([server.address]);
  assert.deepEqual(await resolver.resolve6('d8d3370ae66948.vm.demo.internal'), ['fdaa:0:3f:a2c1::101']);
  assert.deepEqual(await resolver.resolve6('top1.nearest.of.demo.internal'), ['fdaa:0:3f:a2c1::100']);
  assert.ok(askers.includes('::1'));
  // A long answer comes truncated over UDP and whole over TCP, on IPv6 too.
  const many = Array.from({ length: 30 }, (_, i) => `${i.toString(16).padStart(2, '0')}${'c'.repeat(12)}`);
  machines.push(...many.map((id, i) => ({ ...machine(id, 'ams', 'started', 10 + i), privateIp: `fdaa::${i + 1}` })));
  const [record] = await resolver.resolveTxt('_instances.internal');
  assert.ok(record!.join('').includes('instance=00cccccccccccc,app=demo,ip=fdaa::1,region=ams'));
});
