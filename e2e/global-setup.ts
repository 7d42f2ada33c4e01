import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FullConfig } from '@playwright/test';
import { startCluster } from '../localfly/cluster.ts';
import { formatLogEvent } from '../localfly/log/format.ts';
import { buildServer, ensureClientBuilt } from './build.ts';
import { CLUSTER_ENV, type ClusterInfo } from './cluster.ts';
import { CLUSTER_LOG_FILE, E2E_CLUSTER } from './cluster-settings.ts';
import { restoreCluster } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the client when stale and the server always, starts the suite's localfly cluster and hands its addresses to the
 * tests (Playwright copies this process's env to every worker). Returns the teardown, which stops
 * every Machine, edge and server it started.
 */
export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  ensureClientBuilt(root);
  buildServer(root);

  const logPath = join(root, CLUSTER_LOG_FILE);
  mkdirSync(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath);
  const cluster = await startCluster({
    command: [process.execPath, 'dist/server/main.js'],
    cwd: root,
    regions: E2E_CLUSTER.regions,
    app: E2E_CLUSTER.app,
    edgePort: E2E_CLUSTER.edgePort,
    dnsPort: E2E_CLUSTER.dnsPort,
    controlPort: E2E_CLUSTER.controlPort,
    addressBase: E2E_CLUSTER.addressBase,
    machinePort: E2E_CLUSTER.machinePort,
    // The edges remember cookie -> Machine after a replay, as fly.toml's replay_cache tells Fly's to.
    flyToml: join(root, 'fly.toml'),
    env: { DEMO_STREAMS: String(E2E_CLUSTER.demoStreams), LOG_LEVEL: 'info' },
    // As npm start: the embedded NATS supercluster runs under the suite too, and every Machine verifies
    // the others' publish tokens (as `fly secrets set STREAM_SECRET=...` would), so live streams move.
    secrets: ['RELAY_SECRET', 'STREAM_SECRET'],
    onLog: (event) => log.write(`${formatLogEvent(event, false)}\n`),
  });

  const info: ClusterInfo = { edges: cluster.edges, control: cluster.controlUrl };
  process.env[CLUSTER_ENV] = JSON.stringify(info);
  try {
    // Tests start from a converged cluster: every Machine lists every Machine's demo stream.
    await restoreCluster();
  } catch (err) {
    await cluster.stop();
    throw err;
  }

  return async () => {
    await cluster.stop();
    await new Promise<void>((resolve) => log.end(resolve));
  };
}
