import type { Config } from '../config.ts';
import type { BindHosts } from './addresses.ts';
import type { ServerSettings } from './config-text.ts';
import type { ListenPort } from './supervisor.ts';

export type SettingsConfig = Pick<
  Config,
  | 'machineId'
  | 'region'
  | 'relaySecret'
  | 'natsClientPort'
  | 'natsClusterPort'
  | 'natsGatewayPort'
  | 'natsMonitorPort'
  | 'natsMaxPayloadBytes'
  | 'natsWriteDeadlineMs'
>;

/**
 * The embedded server's settings and the ports to try before each start. `clustered` (on Fly, with a
 * secret and a private address) adds routes and gateways on the private address; otherwise the server
 * is standalone: client and monitoring only.
 */
export function embeddedSettings(
  c: SettingsConfig,
  hosts: BindHosts,
  clustered: boolean,
): { settings: ServerSettings; ports: ListenPort[] } {
  const cluster =
    clustered && hosts.peer !== null && c.region !== null && c.relaySecret !== null
      ? {
          region: c.region,
          host: hosts.peer,
          clusterPort: c.natsClusterPort,
          gatewayPort: c.natsGatewayPort,
          secret: c.relaySecret,
        }
      : null;
  const ports: ListenPort[] = [
    { host: hosts.local, port: c.natsClientPort, variable: 'NATS_CLIENT_PORT' },
    { host: hosts.local, port: c.natsMonitorPort, variable: 'NATS_MONITOR_PORT' },
  ];
  if (cluster !== null) {
    ports.push(
      { host: cluster.host, port: cluster.clusterPort, variable: 'NATS_CLUSTER_PORT' },
      { host: cluster.host, port: cluster.gatewayPort, variable: 'NATS_GATEWAY_PORT' },
    );
  }
  return {
    settings: {
      name: c.machineId ?? 'local',
      localHost: hosts.local,
      clientPort: c.natsClientPort,
      monitorPort: c.natsMonitorPort,
      maxPayloadBytes: c.natsMaxPayloadBytes,
      writeDeadlineMs: c.natsWriteDeadlineMs,
      cluster,
    },
    ports,
  };
}
