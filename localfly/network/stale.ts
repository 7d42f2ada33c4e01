import { readdirSync, rmSync } from 'node:fs';
import { ip } from './ip.ts';
import { NETNS_ETC_DIR, runNames, runOfLink, runOfNamespace, STATE_DIR } from './names.ts';
import { ownerAlive, readOwner } from './owner.ts';

/** What of localfly's own making exists on this host, by name. */
export interface Inventory {
  namespaces: string[];
  links: string[];
  /** Directories under /etc/netns. */
  etcDirs: string[];
  /** Run ids with a directory under /run/localfly. */
  stateRuns: string[];
}

/** One run's leftovers. */
export interface RunResources {
  run: string;
  namespaces: string[];
  links: string[];
  etcDirs: string[];
  state: boolean;
}

/** Groups localfly's resources by run; foreign names are never included. */
export function byRun(inventory: Inventory): RunResources[] {
  const runs = new Map<string, RunResources>();
  const get = (run: string) => {
    let r = runs.get(run);
    if (r === undefined) {
      r = { run, namespaces: [], links: [], etcDirs: [], state: false };
      runs.set(run, r);
    }
    return r;
  };
  for (const name of inventory.namespaces) {
    const run = runOfNamespace(name);
    if (run !== null) get(run).namespaces.push(name);
  }
  for (const name of inventory.links) {
    const run = runOfLink(name);
    if (run !== null) get(run).links.push(name);
  }
  for (const name of inventory.etcDirs) {
    const run = runOfNamespace(name);
    if (run !== null) get(run).etcDirs.push(name);
  }
  for (const run of inventory.stateRuns) if (/^[0-9a-f]{6}$/.test(run)) get(run).state = true;
  return [...runs.values()];
}

/** Runs whose owner is gone: a crashed localfly (or one killed with its reaper). Live runs are left alone. */
export function staleRuns(inventory: Inventory, alive: (run: string) => boolean): RunResources[] {
  return byRun(inventory).filter((r) => !alive(r.run));
}

function dir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Namespaces, links, /etc/netns directories and state directories that carry localfly's names. */
export async function listInventory(): Promise<Inventory> {
  const [namespaces, links] = await Promise.all([ip(['netns', 'list']), ip(['-o', 'link', 'show'])]);
  return {
    namespaces: namespaces
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean),
    links: links.split('\n').flatMap((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? []),
    etcDirs: dir(NETNS_ETC_DIR),
    stateRuns: dir(STATE_DIR),
  };
}

/** Kills what still runs in a namespace, then deletes it; a namespace already gone is fine. */
export async function removeNamespace(name: string): Promise<void> {
  const pids = await ip(['netns', 'pids', name]).catch(() => '');
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await ip(['netns', 'delete', name]).catch(() => undefined);
}

export async function removeLink(name: string): Promise<void> {
  await ip(['link', 'delete', name]).catch(() => undefined);
}

/** Removes one run's leftovers: veths and bridge first (deleting a veth end deletes the pair), then the rest. */
export async function removeRun(r: RunResources): Promise<void> {
  const bridge = runNames(r.run).bridge;
  for (const link of r.links.filter((l) => l !== bridge)) await removeLink(link);
  if (r.links.includes(bridge)) await removeLink(bridge);
  for (const ns of r.namespaces) await removeNamespace(ns);
  for (const name of r.etcDirs) rmSync(`${NETNS_ETC_DIR}/${name}`, { recursive: true, force: true });
  if (r.state) rmSync(runNames(r.run).stateDir, { recursive: true, force: true });
}

/** Finds and removes what crashed earlier runs left behind; returns what was removed. */
export async function cleanStaleRuns(): Promise<RunResources[]> {
  const stale = staleRuns(await listInventory(), (run) => ownerAlive(readOwner(runNames(run).ownerFile)));
  for (const r of stale) await removeRun(r);
  return stale;
}
