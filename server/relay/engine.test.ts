import assert from 'node:assert/strict';
import net from 'node:net';
import { type TestContext, test } from 'node:test';
import { captureLog, ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { loadConfig } from '../config.ts';
import { type Member, RelayEngine } from './engine.ts';
import { DEFAULT_RELAY_LIMITS } from './limits.ts';
import { fetchFigures } from './monitor.ts';

// Engines in-process, each with its nats-server on its own loopback address, on an in-memory
// `<region>.<app>.internal`; membership is handed over as the directory would after each round.
const APP = 'relay-engine-test';
const SECRET = 'engine-test-secret-0123';
const limits = {
  ...DEFAULT_RELAY_LIMITS,
  monitorIntervalMs: 100,
  gatewayGraceMs: 500,
  firstMembershipWaitMs: 100,
  shapeSettleMs: 100,
};

class Regions {
  readonly table = new Map<string, string[]>();
  readonly resolver = {
    resolve6: async (name: string) => {
      const m = new RegExp(`^([a-z0-9-]+)\\.${APP}\\.internal$`).exec(name);
      const found = m === null ? undefined : this.table.get(m[1]!);
      if (found === undefined || found.length === 0)
        throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found.map((a) => `::ffff:${a}`);
    },
  };
}

interface Node {
  id: string;
  region: string;
  address: string;
  engine: RelayEngine;
  log: ReturnType<typeof captureLog>;
}

function node(t: TestContext, regions: Regions, id: string, region: string, address: string): Node {
  const log = captureLog();
  const engine = new RelayEngine({
    config: { ...loadConfig({}).relay, host: address, privateIp: address, secret: SECRET, limits },
    machine: { id, region, appName: APP },
    log: log.log,
    resolver: regions.resolver,
  });
  t.after(() => engine.stop());
  return { id, region, address, engine, log };
}

const members = (nodes: Node[], self: Node): Member[] =>
  nodes.filter((n) => n !== self).map(({ id, region }) => ({ id, region }));

test('a region that is gone restarts the server without its gateway; the survivor stays ready', async (t) => {
  requireNatsServer();
  const at = ownAddressBlock();
  const regions = new Regions();
  const ams = node(t, regions, 'aaaaaaaaaaaaaa', 'ams', at(0));
  const dfw = node(t, regions, 'bbbbbbbbbbbbbb', 'dfw', at(1));
  regions.table.set('ams', [ams.address]);
  regions.table.set('dfw', [dfw.address]);
  for (const n of [ams, dfw]) {
    n.engine.setMembers(members([ams, dfw], n));
    n.engine.start();
  }
  await waitFor('both ready', () => ams.engine.status() === 'ok' && dfw.engine.status() === 'ok', 20_000);
  assert.deepEqual((await fetchFigures(ams.address, 8222, 2000)).gatewaysOut, ['dfw']);
  const pid = ams.engine.stats().serverPid;

  await dfw.engine.stop();
  regions.table.delete('dfw');
  ams.engine.setMembers([]);
  await waitFor('restarted', () => ams.engine.stats().serverRestarts === 1 && ams.engine.status() === 'ok', 20_000);
  assert.notEqual(ams.engine.stats().serverPid, pid);
  assert.equal(ams.log.matching(/^nats: gateways changed; restarting nats-server$/)[0]?.reason, 'region gone: dfw');
});

test('two regions that started without knowing each other are joined once the grace period is over', async (t) => {
  requireNatsServer();
  const at = ownAddressBlock();
  const regions = new Regions();
  const ams = node(t, regions, 'cccccccccccccc', 'ams', at(0));
  const syd = node(t, regions, 'dddddddddddddd', 'syd', at(1));
  regions.table.set('ams', [ams.address]);
  regions.table.set('syd', [syd.address]);
  // Each one's first round saw nobody (DNS lagging behind a new Machine): both start alone.
  for (const n of [ams, syd]) {
    n.engine.setMembers([]);
    n.engine.start();
  }
  await waitFor('both alone and ready', () => ams.engine.status() === 'ok' && syd.engine.status() === 'ok', 20_000);
  // Later rounds list the other region; neither server has it configured, so neither dials.
  await waitFor(
    'a restart with the gateway, then linked',
    async () => {
      for (const n of [ams, syd]) n.engine.setMembers(members([ams, syd], n));
      const figures = await fetchFigures(ams.address, 8222, 2000).catch(() => null);
      return figures?.gatewaysOut.includes('syd') === true;
    },
    20_000,
    200,
  );
  const restarts = [ams, syd].flatMap((n) => n.log.matching(/^nats: gateways changed; restarting nats-server$/));
  assert.ok(restarts.length >= 1);
  assert.match(String(restarts[0]!.reason), /^no gateway to (ams|syd)$/);
});

test('a route change is reloaded in place: same process, the app stays connected', async (t) => {
  requireNatsServer();
  const at = ownAddressBlock();
  const regions = new Regions();
  const a = node(t, regions, 'eeeeeeeeeeeeee', 'ord', at(0));
  const b = node(t, regions, 'ffffffffffffff', 'ord', at(1));
  regions.table.set('ord', [a.address, b.address]);
  for (const n of [a, b]) {
    n.engine.setMembers(members([a, b], n));
    n.engine.start();
  }
  await waitFor(
    'routed',
    async () => (await fetchFigures(a.address, 8222, 2000).catch(() => null))?.routes === 1,
    20_000,
  );
  const pid = a.engine.stats().serverPid;
  const disconnects = () => a.log.matching(/client disconnected/).length;
  await b.engine.stop();
  regions.table.set('ord', [a.address]);
  a.engine.setMembers([]);
  await waitFor('reloaded', () => a.engine.stats().serverReloads === 1, 10_000);
  assert.equal(a.engine.stats().serverPid, pid);
  assert.equal(disconnects(), 0);
  assert.equal(a.engine.status(), 'ok', 'alone now, and ready');
});

/** One engine off Fly (a standalone server) on an address of its own. */
function standalone(t: TestContext, address: string): RelayEngine {
  const engine = new RelayEngine({
    config: { ...loadConfig({}).relay, host: address, limits: { ...limits, restartBackoffBaseMs: 50 } },
    machine: { id: null, region: null, appName: null },
    log: captureLog().log,
    resolver: new Regions().resolver,
  });
  t.after(() => engine.stop());
  return engine;
}

test('when the app begins to close, a server that is not up is given up at once; a running one stays up until stop', async (t) => {
  requireNatsServer();
  const at = ownAddressBlock();
  // A port in use keeps one server retrying.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: at(0), port: 4222 }, resolve));
  t.after(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const blocked = standalone(t, at(0));
  const running = standalone(t, at(1));
  blocked.start();
  running.start();
  await waitFor('a retry', () => blocked.stats().serverRestarts >= 1, 10_000);
  await waitFor('the other one ready', () => running.status() === 'ok', 20_000);
  const pid = running.stats().serverPid;

  blocked.beginClose();
  running.beginClose();
  // Without it the retries would go on until stop(), and one could start a server the close then waits for.
  await waitFor('the blocked server given up', () => blocked.stats().serverState === 'stopped', 5000);
  assert.equal(running.stats().serverPid, pid);
  assert.equal(running.status(), 'ok', 'the running one still takes relay work while the streams drain');
  assert.notEqual(running.connection(), null);
  await running.stop();
  assert.throws(() => process.kill(pid!, 0), { code: 'ESRCH' });
});
