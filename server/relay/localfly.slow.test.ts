import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { MachineInfo } from '../../localfly/cluster.ts';
import { requireNatsServer, waitFor } from '../../test/support/nats.ts';
import {
  type Gatewayz,
  type NatsCluster,
  natsPidOf,
  relayOf,
  startNatsCluster,
} from '../../test/support/nats-cluster.ts';

// Real replaycast Machines on localfly (ams:1, dfw:2), each with its embedded nats-server on the
// default ports: in namespace mode on its own loopback and 6PN address, as on Fly; in loopback mode on
// its own 127.x address. Bounds are generous: two shared cores, other tests running.
const FORM_MS = 30_000;

/** Counts messages per subscriber, by sequence number in the payload. */
function collect(sub: Subscription): Set<number> {
  const got = new Set<number>();
  void (async () => {
    for await (const msg of sub) got.add(Number(msg.string()));
  })();
  return got;
}

async function everyoneReady(c: NatsCluster): Promise<void> {
  const machines = c.cluster.machines().filter((m) => m.state === 'started');
  await waitFor(
    'every Machine relay-ready in every directory',
    async () => {
      for (const viewer of machines)
        for (const target of machines) if ((await relayOf(viewer, target)) !== 'ok') return false;
      return true;
    },
    FORM_MS,
    200,
  );
}

async function outMsgsToDfw(c: NatsCluster, ams: MachineInfo): Promise<number> {
  return (await c.monitor<Gatewayz>(ams, '/gatewayz')).outbound_gateways.dfw?.connection?.out_msgs ?? 0;
}

for (const network of ['netns', 'loopback'] as const)
  test(`localfly ams:1,dfw:2 (${network}): one supercluster; a kill, a stop and an added Machine`, async (t) => {
    requireNatsServer();
    const c = await startNatsCluster('ams:1,dfw:2', { network });
    t.after(() => c.stop());
    const { monitor, routeCount, natsOn } = c;
    const clients: NatsConnection[] = [];
    t.after(() => Promise.all(clients.map((nc) => nc.close())));
    const [ams] = c.byRegion('ams') as [MachineInfo];
    const [dfw1, dfw2] = c.byRegion('dfw') as [MachineInfo, MachineInfo];

    await t.test('it forms: readiness in every directory, gateways both ways, a route inside dfw', async () => {
      await everyoneReady(c);
      const gw = await monitor<Gatewayz>(ams, '/gatewayz');
      assert.deepEqual(Object.keys(gw.outbound_gateways), ['dfw']);
      await waitFor(
        'both dfw servers dial ams',
        async () => (await monitor<Gatewayz>(ams, '/gatewayz')).inbound_gateways.dfw?.length === 2,
        FORM_MS,
      );
      for (const m of [dfw1, dfw2]) {
        assert.deepEqual(Object.keys((await monitor<Gatewayz>(m, '/gatewayz')).outbound_gateways), ['ams']);
        assert.equal(await routeCount(m), 1);
      }
      assert.equal(await routeCount(ams), 0);
      await waitFor(
        'each Machine logs the shape it sees',
        () =>
          [ams, dfw1, dfw2].every((m) =>
            c.logs.some((l) => l.machine === m.id && l.line.msg === 'nats: ams(1) <-> dfw(2), 3 servers'),
          ),
        FORM_MS,
      );
    });

    await t.test(
      'a message published on ams reaches both dfw subscribers; ams sends one copy over its gateway',
      async (st) => {
        const pub = await natsOn(ams);
        const subs = await Promise.all([dfw1, dfw2].map(natsOn));
        clients.push(pub, ...subs);
        const got = subs.map((nc) => collect(nc.subscribe('relay.test')));
        await Promise.all(subs.map((nc) => nc.flush()));
        // Interest crosses the gateway asynchronously: probe until both subscribers hear ams.
        await waitFor(
          'the first message on both dfw Machines',
          async () => {
            pub.publish('relay.test', '-1');
            await pub.flush();
            return got.every((g) => g.has(-1));
          },
          FORM_MS,
          100,
        );
        const count = 200;
        const before = await outMsgsToDfw(c, ams);
        for (let i = 0; i < count; i++) pub.publish('relay.test', String(i));
        await pub.flush();
        await waitFor('all 200 on both', () => got.every((g) => [...g].filter((n) => n >= 0).length === count), 10_000);
        const sent = (await outMsgsToDfw(c, ams)) - before;
        // One copy per message; a little system traffic may share the gateway. Two copies would be >= 400.
        st.diagnostic(`ams gateway out_msgs to dfw: ${sent} for ${count} messages to 2 dfw subscribers`);
        assert.ok(sent >= count && sent < count * 1.5, `ams sent ${sent} messages over its gateway for ${count}`);
      },
    );

    await t.test('a killed nats-server is restarted and the Machine is relay-ready again within 5 s', async (st) => {
      const pid = natsPidOf(dfw1);
      assert.ok(pid !== undefined, 'the Machine runs a nats-server child');
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await waitFor(
        'a new nats-server, relay-ready',
        async () => {
          const now = natsPidOf(dfw1);
          return now !== undefined && now !== pid && (await relayOf(dfw1)) === 'ok';
        },
        10_000,
        50,
      );
      const tookMs = Date.now() - killedAt;
      st.diagnostic(`relay-ready again ${tookMs} ms after SIGKILL of nats-server`);
      assert.ok(tookMs < 5000, `ready again after ${tookMs} ms`);
      await waitFor('its route back', async () => (await routeCount(dfw2)) === 1, 10_000);
    });

    await t.test('a stopped Machine: the others drop its route and its gateway; an added one joins', async () => {
      await c.cluster.stopMachine(dfw2.id);
      await waitFor('dfw1 has no route', async () => (await routeCount(dfw1)) === 0, 10_000);
      await waitFor(
        'ams hears one dfw server',
        async () => (await monitor<Gatewayz>(ams, '/gatewayz')).inbound_gateways.dfw?.length === 1,
        10_000,
      );
      // Discovery drops it and the route leaves dfw1's config too (reloaded in place, no restart).
      await waitFor(
        'dfw1 reloads without the route',
        () =>
          c.logs.some(
            (l) =>
              l.machine === dfw1.id &&
              l.line.msg === 'nats: routes changed; reloading nats-server' &&
              l.line.routes === 0,
          ),
        10_000,
      );
      const added = await c.cluster.addMachine('dfw');
      await waitFor('dfw1 routes to the new Machine', async () => (await routeCount(dfw1)) === 1, FORM_MS);
      await waitFor(
        'ams hears two dfw servers again',
        async () => (await monitor<Gatewayz>(ams, '/gatewayz')).inbound_gateways.dfw?.length === 2,
        FORM_MS,
      );
      await waitFor(
        "the new Machine is relay-ready in ams's directory",
        async () => (await relayOf(ams, added)) === 'ok',
        FORM_MS,
      );
    });
  });

test('a wrong RELAY_SECRET keeps one Machine out with a clear line; the others are unaffected', async (t) => {
  requireNatsServer();
  // The first dfw Machine to claim the folder gets a secret of its own.
  const dir = mkdtempSync(join(tmpdir(), 'replaycast-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const claim = join(dir, 'claim');
  const c = await startNatsCluster('ams:1,dfw:2', {
    command: [
      'sh',
      '-c',
      `if [ "$FLY_REGION" = dfw ] && mkdir "${claim}" 2>/dev/null; then echo "$FLY_MACHINE_ID" > "${claim}/id"; RELAY_SECRET=not-the-cluster-secret; export RELAY_SECRET; fi; exec "${process.execPath}" --import tsx server/main.ts`,
    ],
  });
  t.after(() => c.stop());
  const { monitor, routeCount, natsOn } = c;
  const badId = readFileSync(join(claim, 'id'), 'utf8').trim();
  const [ams] = c.byRegion('ams') as [MachineInfo];
  const bad = c.byRegion('dfw').find((m) => m.id === badId)!;
  const dfw1 = c.byRegion('dfw').find((m) => m.id !== badId)!;
  assert.ok(bad !== undefined && dfw1 !== undefined);

  await waitFor(
    'ams and dfw1 ready',
    async () => (await relayOf(ams, dfw1)) === 'ok' && (await relayOf(dfw1, ams)) === 'ok',
    FORM_MS,
    200,
  );
  await waitFor(
    'the clear line on the refused Machine',
    () =>
      c.logs.some(
        (l) => l.machine === bad.id && /RELAY_SECRET differs between this Machine and a peer/.test(String(l.line.msg)),
      ),
    FORM_MS,
  );
  // Give it the time it would need to join, then check it stayed out.
  await waitFor(
    'the others refused it too',
    () => c.logs.some((l) => l.machine === dfw1.id && /RELAY_SECRET differs/.test(String(l.line.msg))),
    FORM_MS,
  );
  assert.equal(await routeCount(dfw1), 0);
  assert.equal(await routeCount(bad), 0);
  const gw = await monitor<Gatewayz>(ams, '/gatewayz');
  assert.equal(gw.inbound_gateways.dfw?.length ?? 0, 1, 'only dfw1 reaches ams');
  assert.equal(await relayOf(bad), 'down');
  assert.equal(await relayOf(ams, bad), 'down', 'its directory peers see it is not ready');
  assert.equal(await relayOf(ams), 'ok');

  // Messages still flow between the others.
  const pub = await natsOn(ams);
  const sub = await natsOn(dfw1);
  t.after(() => Promise.all([pub.close(), sub.close()]));
  const got = collect(sub.subscribe('relay.ok'));
  await sub.flush();
  await waitFor(
    'ams to dfw1',
    async () => {
      pub.publish('relay.ok', '1');
      await pub.flush();
      return got.has(1);
    },
    FORM_MS,
    100,
  );
  // The secret itself never reaches a log line.
  assert.ok(c.logs.every((l) => !JSON.stringify(l.line).includes('not-the-cluster-secret')));
});
