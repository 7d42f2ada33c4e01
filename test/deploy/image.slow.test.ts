import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import { randomAddressBase } from '../../localfly/fixtures/support.ts';
import { loadConfig } from '../../server/config.ts';
import { METRICS_LISTENING_MSG, METRICS_PATH } from '../../server/metrics/plugin.ts';
import { sampleValue } from '../support/prom-text.ts';
import { aptInstalls, parseDockerfile, stageConfig } from './dockerfile.ts';
import { isIgnored, parseDockerignore } from './dockerignore.ts';
import { durationMs, machineEnv, REPO_ROOT, readFlyToml } from './fly-toml.ts';
import { buildImage, type ImageConfig, type StepReport } from './image-build.ts';
import { canRunAs, type MachineProcess, startMachine } from './machine-process.ts';
import { installNode } from './node-release.ts';

/**
 * The image-build rehearsal: builds the Dockerfile from the repository as .dockerignore lets it
 * through (test/deploy/image-build.ts), then starts the image's CMD with a Machine's environment,
 * under this Node and under the image's Node 24 release from npm, and checks what Fly relies on.
 */

const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'replaycast-deploy');
const BUILD_STEP_TIMEOUT_MS = 5 * 60_000;
const NODE_INSTALL_TIMEOUT_MS = 3 * 60_000;
const START_TIMEOUT_MS = 20_000;
/** The image's unprivileged `node` user in the official Node images. */
const IMAGE_USERS: Record<string, number> = { node: 1000 };
/** Keeps the directory's DNS lookups on loopback, where nothing answers (discovery just fails fast). */
const DEAD_DNS = '127.0.0.1:25053';
const OTHER_ID = 'fedcba98765432';

const toml = readFlyToml();
const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, toml.build?.dockerfile ?? 'Dockerfile'), 'utf8'));
const ignore = parseDockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const machine = machineEnv(toml);

/**
 * This process's environment without what npm and the test runner add: a nested npm that inherits
 * npm_config_local_prefix would work on this checkout instead of the build folder.
 */
function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      /^(npm_|INIT_CWD$|NODE_OPTIONS$|NODE_TEST_CONTEXT$|NODE_ENV$|NODE_PATH$|TSX_|FLY_)/i.test(name)
    )
      continue;
    env[name] = value;
  }
  env.PATH = [
    dirname(process.execPath),
    ...(process.env.PATH ?? '').split(':').filter((p) => p !== '' && !p.includes('node_modules')),
  ].join(':');
  return env;
}

/** The pinned Node release of the image, from its FROM line (node:<x.y.z>-slim). */
function imageNodeVersion(): string {
  const match = /^node:(\d+\.\d+\.\d+)-/.exec(dockerfile.stages.at(-1)!.image);
  assert.ok(match, `the runtime stage is not a pinned node image: ${dockerfile.stages.at(-1)!.image}`);
  return match[1]!;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

let workDir = '';
let building: Promise<ImageConfig> | undefined;
const steps: StepReport[] = [];
let buildMs = 0;
/** Long enough for a first build with nothing cached (npm ci from the registry). */
const BUILD_TEST_TIMEOUT_MS = 8 * 60_000;

/** Builds the image once, for the tests that need it. */
function built(): Promise<ImageConfig> {
  building ??= (async () => {
    workDir = mkdtempSync(join(tmpdir(), 'replaycast-image-'));
    // The server runs as the image's unprivileged user where the test runs as root: it must reach its files.
    chmodSync(workDir, 0o755);
    const started = Date.now();
    const image = await buildImage(
      {
        contextDir: REPO_ROOT,
        dockerfile,
        ignore,
        workDir,
        layerCacheDir: join(CACHE_DIR, 'layers'),
        env: hostEnv(),
        runTimeoutMs: BUILD_STEP_TIMEOUT_MS,
      },
      (step) => steps.push(step),
    );
    buildMs = Date.now() - started;
    return image;
  })();
  return building;
}

after(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

test('the Dockerfile: pinned Node 24 bookworm-slim, npm ci, build, prune, nats-server, non-root, production, exposed port, exec CMD', () => {
  assert.ok(dockerfile.stages.length >= 2, 'multi-stage');
  for (const stage of dockerfile.stages)
    assert.match(
      stage.image,
      /^node:24\.\d+\.\d+-bookworm-slim$/,
      'every stage on one pinned Node 24 bookworm-slim image',
    );
  assert.equal(new Set(dockerfile.stages.map((s) => s.image)).size, 1);

  const runs = dockerfile.stages
    .slice(0, -1)
    .flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
  const order = [/^npm ci\b/, /^npm run build\b/, /^npm prune --omit=dev\b/].map((re) =>
    runs.findIndex((r) => re.test(r)),
  );
  assert.ok(
    order.every((i) => i >= 0) && order[0]! < order[1]! && order[1]! < order[2]!,
    `npm ci, npm run build, npm prune --omit=dev in order: ${runs.join(' | ')}`,
  );
  const runtime = dockerfile.stages.at(-1)!.instructions;
  const runtimeRuns = runtime.filter((i) => i.keyword === 'RUN');
  assert.deepEqual(
    runtimeRuns.map((i) => aptInstalls(i.args)),
    [['nats-server']],
    "the runtime stage copies built output and installs only Debian's nats-server",
  );
  assert.match(runtimeRuns[0]!.args, /--no-install-recommends.*rm -rf \/var\/lib\/apt\/lists/);
  assert.ok(
    runtime.indexOf(runtimeRuns[0]!) < runtime.findIndex((i) => i.keyword === 'USER'),
    'installed as root, before USER',
  );

  const image = stageConfig(dockerfile.stages.at(-1)!);
  assert.equal(image.env.NODE_ENV, 'production');
  assert.ok(
    image.user !== null && !['root', '0', '0:0'].includes(image.user),
    `runs as a non-root user, not ${image.user}`,
  );
  const config = loadConfig(machine);
  assert.deepEqual(image.expose, [config.server.port]);
  assert.equal(toml.http_service?.internal_port, config.server.port);
  assert.deepEqual(image.cmd, ['node', 'dist/server/main.js']);
});

test('.dockerignore keeps dependencies, build output, version control and test output out', () => {
  for (const path of [
    'node_modules/fastify/package.json',
    'client/node_modules/x.js',
    'dist/server/main.js',
    '.git/HEAD',
    'coverage/lcov.info',
    'test-results/x.png',
    'playwright-report/index.html',
    'e2e/artifacts/a.webm',
    'server/routing/decide.test.ts',
    '.env',
  ]) {
    assert.ok(isIgnored(ignore, path), path);
  }
  for (const path of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'server/main.ts',
    'shared/machine-id.ts',
    'client/index.html',
  ]) {
    assert.ok(!isIgnored(ignore, path), path);
  }
});

test('the image holds the built server and client and production dependencies only', {
  timeout: BUILD_TEST_TIMEOUT_MS,
}, async (t) => {
  const image = await built();
  const app = join(image.rootfs, ...image.workdir.split('/').filter(Boolean));
  t.diagnostic(
    `build ${buildMs} ms: ${steps.map((s) => `${s.instruction.slice(0, 40)} ${s.ms} ms${s.cached ? ' (cached)' : ''}`).join('; ')}`,
  );
  assert.ok(existsSync(join(app, image.cmd[1]!)), `${image.cmd[1]} is in the image`);
  assert.ok(existsSync(join(app, 'dist', 'client', 'index.html')), 'the client build is in the image');
  const files = walk(app).filter((f) => !f.startsWith('node_modules/'));
  assert.deepEqual(
    files.filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts')),
    [],
    'no TypeScript sources',
  );
  assert.deepEqual(
    files.filter((f) => /\.test\.js$/.test(f) || f.startsWith('.git/') || f.startsWith('server/')),
    [],
    'no tests, sources or .git',
  );
  for (const dep of Object.keys(pkg.dependencies ?? {}))
    assert.ok(existsSync(join(app, 'node_modules', dep, 'package.json')), `dependency ${dep}`);
  for (const dep of Object.keys(pkg.devDependencies ?? {}))
    assert.ok(!existsSync(join(app, 'node_modules', dep)), `dev dependency ${dep} pruned`);
  // The image is built here with this Node and run with Node 24: valid only while no native addon ships.
  assert.deepEqual(
    walk(join(app, 'node_modules')).filter((f) => f.endsWith('.node')),
    [],
    'no native addons in production dependencies',
  );
});

async function rehearseStart(t: TestContext, nodeBinary: string): Promise<void> {
  const image = await built();
  const cwd = join(image.rootfs, ...image.workdir.split('/').filter(Boolean));
  assert.equal(image.cmd[0], 'node');
  const user = image.user === null ? undefined : (IMAGE_USERS[image.user] ?? Number(image.user));
  const asImageUser =
    process.getuid?.() === 0 && user !== undefined && Number.isInteger(user) && canRunAs(nodeBinary, cwd, user, user);
  t.diagnostic(asImageUser ? `running as uid ${user}` : `running as this test's user (uid ${process.getuid?.()})`);

  const address = randomAddressBase();
  const env: Record<string, string> = {
    PATH: `${dirname(nodeBinary)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: '/home/node',
    ...image.env,
    ...machine,
    // A loopback address of its own and ephemeral HTTP ports here; on Fly these are :: and fly.toml's ports.
    HOST: address,
    PORT: '0',
    INTERNAL_PORT: '0',
    METRICS_PORT: '0',
    FLY_DNS_SERVER: DEAD_DNS,
    // The demo stream reads its committed fixtures (picture and sound): proves the build ships them.
    DEMO_STREAMS: '1',
    // Embedded NATS as on Fly: a Fly secret, fly.toml's ports on the Machine's own address. Ports probed
    // free and closed again were not safe: the kernel may hand one to another socket before nats-server binds.
    RELAY_SECRET: 'rehearsal-secret-0123456789',
    FLY_PRIVATE_IP: address,
  };
  const started = Date.now();
  const proc = await startMachine({
    argv: [nodeBinary, ...image.cmd.slice(1)],
    cwd,
    env,
    ...(asImageUser ? { uid: user, gid: user } : {}),
    metricsMsg: METRICS_LISTENING_MSG,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  t.after(() => proc.kill());
  t.diagnostic(`listening after ${Date.now() - started} ms`);

  const health = await fetch(`${proc.publicUrl}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true });

  const whoami = await fetch(`${proc.publicUrl}/api/whoami`);
  assert.equal(whoami.status, 200);
  assert.deepEqual(await whoami.json(), {
    machineId: machine.FLY_MACHINE_ID,
    region: machine.FLY_REGION,
    app: machine.FLY_APP_NAME,
  });

  const page = await fetch(`${proc.publicUrl}/`);
  const html = await page.text();
  assert.equal(page.status, 200, `GET / serves the built client: ${html.slice(0, 300)}`);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(html, /<script type="module"[^>]+src="\/assets\//, 'the page loads its hashed assets');

  const replay = await fetch(`${proc.publicUrl}/api/whoami`, {
    headers: { cookie: `fly-machine-id=${OTHER_ID}` },
    redirect: 'manual',
  });
  assert.equal(replay.status, 307);
  assert.equal(replay.headers.get('fly-replay'), `prefer_instance=${OTHER_ID}`);

  const metrics = await fetch(`http://${address}:${proc.metricsPort}${toml.metrics?.path ?? METRICS_PATH}`);
  assert.equal(metrics.status, 200);
  const text = await metrics.text();
  assert.equal(
    sampleValue(text, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'any-machine' }),
    1,
    'the /healthz request',
  );
  assert.equal(sampleValue(text, 'replaycast_replays_total', { reason: 'cookie' }), 1);
  assert.notEqual(sampleValue(text, 'replaycast_live_streams'), undefined);
  assert.notEqual(sampleValue(text, 'replaycast_directory_staleness_seconds'), undefined);

  // The image's nats-server (the host's copy of the apt package) runs under the app, as the image's user.
  assert.deepEqual(image.aptPackages, ['nats-server']);
  const ready = async () =>
    sampleValue(
      await (await fetch(`http://${address}:${proc.metricsPort}${METRICS_PATH}`)).text(),
      'replaycast_relay_ready',
    ) === 1;
  const readyDeadline = Date.now() + 20_000;
  while (!(await ready())) {
    assert.ok(Date.now() < readyDeadline, `NATS never became ready; ${natsLog(proc)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.diagnostic(`relay ready after ${Date.now() - started} ms`);
  const natsPid = childNamed(proc.pid, 'nats-server');
  assert.ok(natsPid !== undefined, 'nats-server runs as a child of the app');
  if (asImageUser) assert.equal(uidOf(natsPid), user, `nats-server runs as uid ${user}`);

  const demoListed = async () => {
    const body = (await (await fetch(`${proc.publicUrl}/api/streams`)).json()) as {
      streams: Array<{ id: string; machineId: string }>;
    };
    return body.streams.find((s) => s.machineId === machine.FLY_MACHINE_ID);
  };
  const demoDeadline = Date.now() + 10_000;
  let demo = await demoListed();
  while (demo === undefined) {
    assert.ok(Date.now() < demoDeadline, `the demo stream never appeared; stderr: ${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
    demo = await demoListed();
  }
  // Its thumbnail is one of the committed stills: proves the build ships them.
  const thumbnail = await fetch(`${proc.publicUrl}/api/streams/${demo.id}/thumbnail`);
  assert.equal(thumbnail.status, 200);
  assert.equal(thumbnail.headers.get('content-type'), 'image/jpeg');

  // A Machine with a viewer connected drains too: the socket is closed as "going away" (1001).
  const created = await fetch(`${proc.publicUrl}/api/streams`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'rehearsal', creator: 'deploy-test' }),
  });
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: string };
  const viewer = new WebSocket(`${proc.publicUrl.replace(/^http/, 'ws')}/ws/watch/${id}`);
  viewer.on('error', () => {});
  t.after(() => viewer.terminate());
  await once(viewer, 'open');
  const viewerClosed = once(viewer, 'close');

  const signal = toml.kill_signal as NodeJS.Signals;
  const stopped = await proc.stop(signal);
  assert.equal(stopped.code, 0, `exit after ${signal}; stderr: ${proc.stderr()}`);
  const [closeCode] = (await viewerClosed) as [number];
  assert.equal(closeCode, 1001, 'the viewer is told the server is going away');
  assert.ok(stopped.ms < durationMs(toml.kill_timeout), `drained in ${stopped.ms} ms, within kill_timeout`);
  t.diagnostic(`drained in ${stopped.ms} ms after ${signal}`);

  assert.ok(proc.lines.length > 0);
  for (const line of proc.lines) {
    assert.ok(!('notJson' in line), `production logs are JSON: ${line.msg}`);
    assert.equal(line.machine, machine.FLY_MACHINE_ID);
    assert.equal(line.region, machine.FLY_REGION);
  }
  assert.equal(proc.lines.find((l) => l.msg === 'shutting down')?.signal, signal);
  assert.ok(!existsSync(`/proc/${natsPid}`), 'nats-server stopped with the app');
}

/** What the app logged about NATS (its own lines and nats-server's), and its stderr: why NATS is not ready. */
function natsLog(proc: MachineProcess): string {
  const lines = proc.lines.filter((l) => l.component === 'nats' || /nats|relay/i.test(l.msg ?? ''));
  return `log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${proc.stderr()}`;
}

function childNamed(pid: number, name: string): number | undefined {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number)
    .find((child) => child > 0 && readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name);
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}

test(`the image's CMD serves a Machine under this Node (${process.version})`, {
  timeout: BUILD_TEST_TIMEOUT_MS,
}, async (t) => {
  await rehearseStart(t, process.execPath);
});

test("the image's CMD serves a Machine under the image's Node 24 release from npm", {
  timeout: BUILD_TEST_TIMEOUT_MS + NODE_INSTALL_TIMEOUT_MS,
}, async (t) => {
  const version = imageNodeVersion();
  assert.match(version, /^24\./);
  const started = Date.now();
  const binary = installNode(version, CACHE_DIR, hostEnv(), NODE_INSTALL_TIMEOUT_MS);
  t.diagnostic(`node ${version} ready in ${Date.now() - started} ms`);
  assert.ok(!binary.includes(`${sep}.bin${sep}`), 'never in a node_modules/.bin folder');
  assert.equal(execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim(), `v${version}`);
  await rehearseStart(t, binary);
});
