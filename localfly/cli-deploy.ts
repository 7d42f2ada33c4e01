import type { DeployReport } from './machines/deploy.ts';

/** What `localfly deploy` prints: one line per Machine, then the total. */
export function formatDeployReport(report: DeployReport): string[] {
  const lines = report.machines.map((m) => {
    const who = `${m.region} ${m.id}`;
    if (m.action === 'skipped') return `  ${who}  not running: left as it is`;
    const exitMs = (m.exitedAt ?? 0) - (m.signalledAt ?? 0);
    const startMs = (m.listeningAt ?? 0) - (m.exitedAt ?? 0);
    return `  ${who}  ${m.signal}: ${m.exit} after ${exitMs} ms, listening again ${startMs} ms later`;
  });
  const restarted = report.machines.filter((m) => m.action === 'restarted').length;
  return [
    `localfly: rolling deploy: ${restarted} Machine${restarted === 1 ? '' : 's'} restarted in place`,
    ...lines,
    `localfly: done in ${report.finishedAt - report.startedAt} ms`,
  ];
}

/** `localfly deploy`: asks the cluster's control API for a rolling restart and prints the outcome. */
export async function runDeploy(controlUrl: string, print: (line: string) => void): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${controlUrl}/deploy`, { method: 'POST' });
  } catch (err) {
    print(`localfly: no cluster answers at ${controlUrl} (${(err as Error).message}); is one running?`);
    return 1;
  }
  const body = (await res.json().catch(() => null)) as DeployReport | { error?: string } | null;
  if (!res.ok || body === null || !('machines' in body)) {
    const reason = body !== null && 'error' in body ? body.error : `HTTP ${res.status}`;
    print(`localfly: deploy failed: ${reason}`);
    return 1;
  }
  for (const line of formatDeployReport(body)) print(line);
  return 0;
}
