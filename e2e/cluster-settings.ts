/**
 * Where the suite's own cluster listens: away from a running `npm start` (edges 8080+, DNS 8053,
 * control 8090) and from unit tests (port 0), so the suite can run while someone demos the app on
 * the same machine. The network mode is localfly's default (`auto`): every Machine in a network
 * namespace of its own where the suite may create them (root, as on CI), else loopback addresses.
 */
export const E2E_CLUSTER = {
  regions: 'ams:1,dfw:2',
  app: 'replaycast-e2e',
  edgePort: 18080,
  dnsPort: 18053,
  controlPort: 18090,
  /** Loopback mode only: Machines on 127.0.18.2+, away from `npm start` on 127.0.0.2+. */
  addressBase: '127.0.18.2',
  /** Fly's internal_port; each Machine has its own namespace (or loopback address), so they all share it. */
  machinePort: 8080,
  /** One synthetic stream per Machine, so the home page lists one card per Machine. */
  demoStreams: 1,
} as const;

/** Machine log of the last run (each line prefixed with region and Machine id), for post-mortems. */
export const CLUSTER_LOG_FILE = 'test-results/cluster.log';
