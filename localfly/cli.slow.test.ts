import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import { test } from 'node:test';
import { fixture, isAlive, randomAddressBase, repoRoot, runLeftovers, until } from './fixtures/support.ts';

const CLI = ['--import', 'tsx', 'localfly/cli.ts'];

function run(args: string[]) {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out: string[] = [];
  const err: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  readline.createInterface({ input: child.stderr }).on('line', (l) => err.push(l));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, out, err, exited };
}

const zeroPorts = () => [
  '--dns-port',
  '0',
  '--edge-port',
  '0',
  '--control-port',
  '0',
  '--machine-port',
  '0',
  '--address-base',
  randomAddressBase(),
];

test('CLI: prints the addresses, serves, and one Ctrl-C (even delivered twice) stops every Machine cleanly and leaves no namespace', async (t) => {
  const cli = run([
    '--regions',
    'ams:1,dfw:1',
    '--network',
    'netns',
    ...zeroPorts(),
    '--',
    process.execPath,
    fixture('foreign-app.mjs'),
  ]);
  t.after(() => cli.child.kill('SIGKILL'));
  // The header and the per-Machine lines are separate writes: wait for the Machine lines too.
  await until(
    () => cli.out.filter((l) => / pid \d+$/.test(l)).length >= 2 || cli.child.exitCode !== null,
    20_000,
    'the cluster to start and list its Machines',
  );
  const edge = /edge ams\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(cli.out.join('\n'))?.[1];
  assert.ok(edge, cli.out.join('\n'));
  assert.match(
    cli.out.join('\n'),
    /DNS\s+127\.0\.0\.1:\d+ .*dig @127\.0\.0\.1 -p \d+ TXT vms\.replaycast-local\.internal \+short/,
  );
  assert.match(cli.out.join('\n'), /control\s+http:\/\/127\.0\.0\.1:\d+/);
  const runId =
    /network\s+namespaces \(run ([0-9a-f]{6})\): each Machine in a network namespace of its own on 6PN fdaa:/.exec(
      cli.out.join('\n'),
    )?.[1];
  assert.ok(runId, cli.out.join('\n'));
  assert.equal(
    cli.out.filter((l) =>
      new RegExp(`\\[fdaa:[0-9a-f:]+\\]:8080  netns localfly-${runId}-[0-9a-f]{14}  pid \\d+$`).test(l),
    ).length,
    2,
  );
  assert.equal((await (await fetch(`${edge}/`)).json()).region, 'ams');
  const pids = cli.out.flatMap((l) => /pid (\d+)$/.exec(l)?.[1] ?? []).map(Number);
  assert.equal(pids.length, 2);

  // A terminal's Ctrl-C reaches the whole group and wrappers relay it: two SIGINTs at once.
  cli.child.kill('SIGINT');
  cli.child.kill('SIGINT');
  const [code] = await cli.exited;
  assert.equal(code, 0);
  assert.equal(cli.out.filter((l) => l.includes('stopped (exited with code 0)')).length, 2, cli.out.join('\n'));
  assert.ok(!cli.out.some((l) => l.includes('killing every Machine')));
  assert.ok(pids.every((p) => !isAlive(p)));
  assert.deepEqual(await runLeftovers(runId), []);
});

test('CLI: a port in use is one clear line and exit code 1; bad flags exit 2 with usage', async (t) => {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const port = (squatter.address() as net.AddressInfo).port;
  const busy = run([
    '--regions',
    'ams:1',
    ...zeroPorts(),
    '--control-port',
    String(port),
    '--',
    process.execPath,
    fixture('foreign-app.mjs'),
  ]);
  const [code] = await busy.exited;
  assert.equal(code, 1);
  assert.deepEqual(busy.err, [
    `localfly: control API: 127.0.0.1:${port} is already in use; stop whatever holds it or choose another port`,
  ]);

  const bad = run(['--regions', 'ams:1', '--bogus']);
  const [badCode] = await bad.exited;
  assert.equal(badCode, 2);
  assert.equal(bad.err[0], 'localfly: unknown option --bogus');
  assert.ok(bad.err.some((l) => l.startsWith('usage: localfly')));
});
