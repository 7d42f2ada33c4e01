import type { BindHosts } from './addresses.ts';
import type { ServerSettings } from './config-text.ts';
import type { RelayLimits } from './limits.ts';
import type { ListenPort } from './supervisor.ts';

/** The relay engine's settings: `config.relay`. */
export interface RelayConfig {
  /** HOST: client and monitoring bind to it when it names one address (localfly loopback mode), else loopback. */
  host: string;
  /** FLY_PRIVATE_IP (this Machine's 6PN address): routes and gateways listen there. */
  privateIp: string | null;
  /** FLY_DNS_SERVER, as for the directory: where `<region>.<app>.internal` is asked; null = system resolver. */
  dnsServer: string | null;
  /** NATS_URL: an external cluster to use instead of an embedded nats-server. */
  natsUrl: string | null;
  /** NATS_SERVER_BIN: path of nats-server; null = PATH, then /usr/sbin/nats-server; `off` = never start one. */
  serverBin: string | null;
  /** RELAY_SECRET: shared secret of routes and gateways (6PN is shared by every app of the organisation). */
  secret: string | null;
  clientPort: number;
  clusterPort: number;
  gatewayPort: number;
  monitorPort: number;
  maxPayloadBytes: number;
  /** A peer whose socket write blocks this long is cut (nats-server `write_deadline`). */
  writeDeadlineMs: number;
  limits: RelayLimits;
}

/**
 * The embedded server's settings and the ports to try before each start. `clustered` (on Fly, with a
 * secret and a private address) adds routes and gateways on the private address; otherwise the server
 * is standalone: client and monitoring only.
 */
export function embeddedSettings(
  c: Omit<RelayConfig, 'limits'>,
  self: { id: string | null; region: string | null },
  hosts: BindHosts,
  clustered: boolean,
): { settings: ServerSettings; ports: ListenPort[] } {
  const cluster =
    clustered && hosts.peer !== null && self.region !== null && c.secret !== null
      ? {
          region: self.region,
          host: hosts.peer,
          clusterPort: c.clusterPort,
          gatewayPort: c.gatewayPort,
          secret: c.secret,
        }
      : null;
  const ports: ListenPort[] = [
    { host: hosts.local, port: c.clientPort, variable: 'NATS_CLIENT_PORT' },
    { host: hosts.local, port: c.monitorPort, variable: 'NATS_MONITOR_PORT' },
  ];
  if (cluster !== null) {
    ports.push(
      { host: cluster.host, port: cluster.clusterPort, variable: 'NATS_CLUSTER_PORT' },
      { host: cluster.host, port: cluster.gatewayPort, variable: 'NATS_GATEWAY_PORT' },
    );
  }
  return {
    settings: {
      name: self.id ?? 'local',
      localHost: hosts.local,
      clientPort: c.clientPort,
      monitorPort: c.monitorPort,
      maxPayloadBytes: c.maxPayloadBytes,
      writeDeadlineMs: c.writeDeadlineMs,
      cluster,
    },
    ports,
  };
}
