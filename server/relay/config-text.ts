import { authUrl, hostPort } from './addresses.ts';
import type { Topology } from './topology.ts';

/** Route and gateway user; RELAY_SECRET is its password. */
export const RELAY_USER = 'relay';

export interface ClusterSettings {
  /** FLY_REGION: the cluster and its gateway are named after it. */
  region: string;
  /** This Machine's private address: routes and gateways listen here, and peers dial it. */
  host: string;
  clusterPort: number;
  gatewayPort: number;
  secret: string;
}

export interface ServerSettings {
  /** FLY_MACHINE_ID (or `local`): the server's name in monitoring output. */
  name: string;
  /** Client and monitoring listen here: loopback, or the Machine's own address under localfly. */
  localHost: string;
  clientPort: number;
  monitorPort: number;
  maxPayloadBytes: number;
  writeDeadlineMs: number;
  /** null: a standalone server (off Fly), no route or gateway listener. */
  cluster: ClusterSettings | null;
}

const q = (value: string) => JSON.stringify(value);

/**
 * The nats-server configuration file for one Machine. Addresses are IP literals: nats-server resolves
 * names with the system resolver, which knows nothing of FLY_DNS_SERVER. Clients do not learn other
 * servers' client URLs (`no_advertise`): the app talks to its own server only.
 */
export function natsServerConfig(s: ServerSettings, topology: Topology): string {
  const lines = [
    '# Written by replaycast (server/relay/); rewritten on every membership change.',
    `server_name: ${q(s.name)}`,
    `host: ${q(s.localHost)}`,
    `port: ${s.clientPort}`,
    `http: ${q(hostPort(s.localHost, s.monitorPort))}`,
    `max_payload: ${s.maxPayloadBytes}`,
    `write_deadline: ${q(`${s.writeDeadlineMs}ms`)}`,
    // pino stamps each line; nats-server's own time would be noise.
    'logtime: false',
  ];
  const c = s.cluster;
  if (c !== null) {
    const auth = `authorization { user: ${q(RELAY_USER)}, password: ${q(c.secret)} }`;
    const routes = topology.routes.map((a) => q(authUrl('nats-route', RELAY_USER, c.secret, a, c.clusterPort)));
    lines.push(
      'cluster {',
      `  name: ${q(c.region)}`,
      `  host: ${q(c.host)}`,
      `  port: ${c.clusterPort}`,
      '  no_advertise: true',
      `  ${auth}`,
      `  routes: [${routes.join(', ')}]`,
      '}',
      'gateway {',
      `  name: ${q(c.region)}`,
      `  host: ${q(c.host)}`,
      `  port: ${c.gatewayPort}`,
      `  ${auth}`,
      '  gateways: [',
      ...topology.gateways.map((g) => {
        const urls = g.addresses.map((a) => q(authUrl('nats', RELAY_USER, c.secret, a, c.gatewayPort)));
        return `    { name: ${q(g.region)}, urls: [${urls.join(', ')}] }`;
      }),
      '  ]',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
