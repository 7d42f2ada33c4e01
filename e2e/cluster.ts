/**
 * What the tests know about the localfly cluster global setup started, and small clients for its
 * control API and the app's own JSON endpoints. Global setup passes the addresses in one env var,
 * which Playwright hands to every worker.
 */
import type { StatsSnapshot } from '../localfly/edge/stats.ts';
import type { MachineInfo } from '../localfly/machines/fleet.ts';

export type { MachineInfo, StatsSnapshot };

export const CLUSTER_ENV = 'REPLAYCAST_E2E_CLUSTER';

export interface ClusterInfo {
  /** Edge URL per region, e.g. { ams: 'http://127.0.0.1:18080', dfw: 'http://127.0.0.1:18081' }. */
  edges: Record<string, string>;
  /** localfly's control API. */
  control: string;
}

export function clusterInfo(): ClusterInfo {
  const raw = process.env[CLUSTER_ENV];
  if (raw === undefined)
    throw new Error(
      `${CLUSTER_ENV} is not set: run the suite with \`npx playwright test\` so global setup starts the cluster`,
    );
  return JSON.parse(raw) as ClusterInfo;
}

export function edge(region: string): string {
  const url = clusterInfo().edges[region];
  if (url === undefined) throw new Error(`no edge for region ${region}`);
  return url;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function machines(): Promise<MachineInfo[]> {
  return json<MachineInfo[]>(`${clusterInfo().control}/machines`);
}

export async function startedMachines(): Promise<MachineInfo[]> {
  return (await machines()).filter((m) => m.state === 'started');
}

/** `POST /machines/<id>/<action>` on the control API (stop, start, kill, restart). */
export async function machineAction(id: string, action: 'stop' | 'start' | 'kill' | 'restart'): Promise<void> {
  const response = await fetch(`${clusterInfo().control}/machines/${id}/${action}`, { method: 'POST' });
  if (!response.ok) throw new Error(`${action} ${id}: ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

/** Per-edge request, replay and error counts since the cluster started. */
export async function controlStats(): Promise<StatsSnapshot> {
  return json<StatsSnapshot>(`${clusterInfo().control}/stats`);
}

/** `POST /machines/<id>/restart` with the Machine's own env over the cluster's (`{}` drops it). */
export async function restartWithEnv(id: string, env: Record<string, string>): Promise<MachineInfo> {
  return json<MachineInfo>(`${clusterInfo().control}/machines/${id}/restart`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ env }),
  });
}
