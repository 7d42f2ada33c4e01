import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalflyError } from '../listen.ts';
import { Deployer, type DeployFleet, rollingDeploy } from './deploy.ts';
import type { MachineInfo } from './machine.ts';

function machine(id: string, region: string, state: MachineInfo['state']): MachineInfo {
  return {
    id,
    region,
    state,
    address: '127.0.0.2',
    port: 8080,
    privateIp: '::ffff:127.0.0.2',
    processGroup: 'app',
    pid: 1,
    netns: null,
    startedAt: null,
    lastExit: null,
    env: {},
  };
}

/** A fleet that records every call, in order; `failStart` names a Machine that will not start again. */
function fakeFleet(machines: MachineInfo[], failStart?: string) {
  const calls: string[] = [];
  let clock = 1000;
  const fleet: DeployFleet = {
    list: () => machines,
    stop: async (id) => {
      calls.push(`stop ${id}`);
      clock += 10;
      return { ...machines.find((m) => m.id === id)!, state: 'stopped', lastExit: { code: 0, signal: null, at: '' } };
    },
    start: async (id) => {
      calls.push(`start ${id}`);
      clock += 100;
      if (id === failStart) throw new LocalflyError(`Machine ${id} exited with code 1 before listening`);
      return { ...machines.find((m) => m.id === id)!, state: 'started' };
    },
  };
  return { fleet, calls, now: () => clock };
}

test('a rolling deploy restarts the running Machines one at a time, each back before the next stops', async () => {
  const machines = [machine('a1', 'ams', 'started'), machine('d1', 'dfw', 'stopped'), machine('d2', 'dfw', 'started')];
  const { fleet, calls, now } = fakeFleet(machines);
  const lines: string[] = [];
  const report = await rollingDeploy(fleet, { killSignal: 'SIGINT', now, progress: (line) => lines.push(line) });
  assert.deepEqual(calls, ['stop a1', 'start a1', 'stop d2', 'start d2']);
  assert.deepEqual(
    report.machines.map((m) => [m.id, m.action]),
    [
      ['a1', 'restarted'],
      ['d1', 'skipped'],
      ['d2', 'restarted'],
    ],
  );
  const a1 = report.machines[0]!;
  assert.deepEqual(
    [a1.signal, a1.signalledAt, a1.exitedAt, a1.listeningAt, a1.exit],
    ['SIGINT', 1000, 1010, 1110, 'exited with code 0'],
  );
  assert.equal(report.machines[2]!.signalledAt, 1110, 'the next Machine is signalled once the previous one listens');
  assert.deepEqual([report.startedAt, report.finishedAt], [1000, 1220]);
  assert.deepEqual(lines, [
    'deploy: rolling restart of 3 Machines, one at a time',
    'deploy [1/3]: SIGINT, waiting for it to exit',
    'deploy [1/3]: exited with code 0 after 10 ms; starting it again',
    'deploy [1/3]: listening again after 100 ms',
    'deploy [2/3]: stopped, left as it is',
    'deploy [3/3]: SIGINT, waiting for it to exit',
    'deploy [3/3]: exited with code 0 after 10 ms; starting it again',
    'deploy [3/3]: listening again after 100 ms',
    'deploy: done in 220 ms',
  ]);
});

test('a Machine that does not come back stops the deploy, naming it; the Machines after it are left alone', async () => {
  const machines = [machine('a1', 'ams', 'started'), machine('d1', 'dfw', 'started')];
  const { fleet, calls, now } = fakeFleet(machines, 'a1');
  await assert.rejects(
    rollingDeploy(fleet, { killSignal: 'SIGTERM', now, progress: () => {} }),
    (err: unknown) =>
      err instanceof LocalflyError && /deploy stopped at Machine a1 \(ams\): .*exited with code 1/.test(err.message),
  );
  assert.deepEqual(calls, ['stop a1', 'start a1']);
});

test('one deploy at a time', async () => {
  const { fleet } = fakeFleet([machine('a1', 'ams', 'started')]);
  const deployer = new Deployer(fleet, { killSignal: 'SIGINT', progress: () => {} });
  const first = deployer.deploy();
  assert.ok(first !== null);
  assert.equal(deployer.deploy(), null, 'refused while the first runs');
  assert.equal(deployer.busy, true);
  await first;
  assert.equal(deployer.busy, false);
  const again = deployer.deploy();
  assert.ok(again !== null, 'a new one once it is done');
  await again;
});
