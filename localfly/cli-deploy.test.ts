import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { formatDeployReport, runDeploy } from './cli-deploy.ts';
import type { DeployReport } from './machines/deploy.ts';

const REPORT: DeployReport = {
  strategy: 'rolling',
  startedAt: 1000,
  finishedAt: 9000,
  machines: [
    {
      id: 'a0a0a0a0a0a0a0',
      region: 'ams',
      action: 'restarted',
      signal: 'SIGTERM',
      signalledAt: 1000,
      exitedAt: 1500,
      exit: 'exited with code 0',
      listeningAt: 4000,
    },
    { id: 'd0d0d0d0d0d0d0', region: 'dfw', action: 'skipped' },
  ],
};

test('formatDeployReport: one line per Machine and the total', () => {
  assert.deepEqual(formatDeployReport(REPORT), [
    'localfly: rolling deploy: 1 Machine restarted in place',
    '  ams a0a0a0a0a0a0a0  SIGTERM: exited with code 0 after 500 ms, listening again 2500 ms later',
    '  dfw d0d0d0d0d0d0d0  not running: left as it is',
    'localfly: done in 8000 ms',
  ]);
});

async function controlApi(t: TestContext, status: number, body: unknown): Promise<string> {
  const server = http.createServer((req, res) => {
    assert.equal(`${req.method} ${req.url}`, 'POST /deploy');
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('runDeploy: prints the report (exit 0), or why there is none (exit 1)', async (t) => {
  const lines: string[] = [];
  assert.equal(await runDeploy(await controlApi(t, 200, REPORT), (l) => lines.push(l)), 0);
  assert.deepEqual(lines, formatDeployReport(REPORT));

  const busy: string[] = [];
  assert.equal(
    await runDeploy(await controlApi(t, 409, { error: 'a deploy is already running' }), (l) => busy.push(l)),
    1,
  );
  assert.deepEqual(busy, ['localfly: deploy failed: a deploy is already running']);

  // Port 1 on loopback: nothing listens there.
  const nobody: string[] = [];
  assert.equal(await runDeploy('http://127.0.0.1:1', (l) => nobody.push(l)), 1);
  assert.match(nobody[0]!, /^localfly: no cluster answers at http:\/\/127\.0\.0\.1:1 /);
});
