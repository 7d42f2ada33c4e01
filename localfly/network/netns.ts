import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LocalflyError } from '../listen.ts';
import { hostsFile, nsswitchConf, resolvConf } from './files.ts';
import { ip, ipBatch } from './ip.ts';
import { type MachineNames, machineNames, newRunId, type RunNames, runNames } from './names.ts';
import { currentOwner, writeOwner } from './owner.ts';
import { removeLink, removeNamespace } from './stale.ts';
import { type ClusterNetwork, type MachineNet, NAMESPACE_DEFAULT_PORT } from './types.ts';

const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));
/** Bound on a port agent starting (a Node process that opens one socket). */
export const AGENT_START_TIMEOUT_MS = 10_000;

/** What the namespace network tells the reaper, so a SIGKILLed localfly leaves nothing behind. */
export interface CleanupRegistry {
  add(pgid: number): void;
  remove(pgid: number): void;
  addUndo(argv: readonly string[]): void;
  removeUndo(argv: readonly string[]): void;
}

interface Attached {
  id: string;
  names: MachineNames;
  port: number;
  /** The port agent's pid once it listens; started anew when it is found dead. */
  agent: Promise<number> | null;
  agentPid: number | null;
  undo: string[][];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function hostNsswitch(): string | null {
  try {
    return nsswitchConf(readFileSync('/etc/nsswitch.conf', 'utf8'));
  } catch {
    return null;
  }
}

/** Starts a Machine's port agent inside its namespace; resolves with its pid once it listens. */
async function startAgent(names: MachineNames, port: number): Promise<number> {
  const child = spawn('ip', ['netns', 'exec', names.netns, process.execPath, AGENT, names.agentSocket, String(port)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = readline.createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    once(lines, 'line').then(() => true),
    once(child, 'exit').then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), AGENT_START_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  lines.close();
  if (!ready || child.pid === undefined) {
    child.kill('SIGKILL');
    throw new LocalflyError(`port agent of ${names.netns} did not start: ${stderr.trim() || 'no output'}`);
  }
  // The agent lives as long as the Machine's namespace; it must not keep localfly running.
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
  return child.pid;
}

/**
 * Namespace mode: every Machine in a network namespace of its own (`ip netns`), joined by a veth
 * pair to one bridge per run, with its own address in a 6PN-like fdaa /64, its own loopback, and
 * /etc/resolv.conf pointing at localfly's DNS on the bridge. Apps bind 0.0.0.0 or :: on the same
 * port, resolve `.internal` with the system resolver, and call each other over the bridge.
 */
export class NetnsNetwork implements ClusterNetwork {
  readonly mode = 'netns' as const;
  readonly summary: string;
  readonly machineDns: { host: string; port: number };
  readonly run: RunNames;
  readonly runId: string;
  readonly #cleanup: CleanupRegistry;
  readonly #attached = new Map<string, Attached>();
  readonly #nsswitch = hostNsswitch();
  #closing: Promise<void> | undefined;

  private constructor(run: RunNames, cleanup: CleanupRegistry) {
    this.run = run;
    this.runId = run.run;
    this.#cleanup = cleanup;
    this.machineDns = { host: run.hostAddress, port: 53 };
    this.summary = `namespaces (run ${run.run}): each Machine in a network namespace of its own on 6PN ${run.subnet}, its resolver at [${run.hostAddress}]:53 (.internal names only; no route out of the 6PN)`;
  }

  /** Creates the run's bridge and owner record; rejects (having removed what it made) when it cannot. */
  static async open(cleanup: CleanupRegistry): Promise<NetnsNetwork> {
    const run = runNames(newRunId());
    const network = new NetnsNetwork(run, cleanup);
    // The owner record comes first: from then on a crash leaves a run the next start recognises as stale.
    writeOwner(run.ownerFile, currentOwner());
    network.#undo(['rm', '-rf', run.stateDir]);
    network.#undo(['ip', 'link', 'delete', run.bridge]);
    try {
      await ipBatch([
        `link add ${run.bridge} type bridge`,
        `link set ${run.bridge} up`,
        `addr add ${run.hostAddress}/64 dev ${run.bridge} nodad`,
      ]);
    } catch (err) {
      await network.close();
      throw err;
    }
    return network;
  }

  #undo(argv: string[], list?: string[][]): void {
    this.#cleanup.addUndo(argv);
    list?.push(argv);
  }

  async attach(machine: { id: string; index: number; port: number }): Promise<MachineNet> {
    if (this.#closing !== undefined) throw new LocalflyError('the cluster network is closed');
    const names = machineNames(this.run.run, machine.id, machine.index);
    const port = machine.port === 0 ? NAMESPACE_DEFAULT_PORT : machine.port;
    let entry = this.#attached.get(machine.id);
    if (entry === undefined) {
      entry = { id: machine.id, names, port, agent: null, agentPid: null, undo: [] };
      this.#attached.set(machine.id, entry);
      await this.#create(entry);
    }
    const attached = entry;
    return {
      address: names.address,
      privateIp: names.address,
      port,
      netns: names.netns,
      dial: names.agentSocket,
      ready: () => this.#agent(attached),
      wrap: (command) => ['ip', 'netns', 'exec', names.netns, ...command],
      env: {},
    };
  }

  /** The Machine's port agent, started on first use and again should it have died. */
  async #agent(entry: Attached): Promise<void> {
    if (this.#closing !== undefined) throw new LocalflyError('the cluster network is closed');
    if (entry.agentPid !== null && !isAlive(entry.agentPid)) {
      this.#cleanup.remove(entry.agentPid);
      entry.agentPid = null;
      entry.agent = null;
    }
    entry.agent ??= startAgent(entry.names, entry.port).then(
      (pid) => {
        // Detached meanwhile: the agent must not outlive its namespace.
        if (this.#attached.get(entry.id) !== entry) process.kill(-pid, 'SIGKILL');
        else {
          entry.agentPid = pid;
          this.#cleanup.add(pid);
        }
        return pid;
      },
      (err: unknown) => {
        entry.agent = null;
        throw err;
      },
    );
    await entry.agent;
  }

  async #create(entry: Attached): Promise<void> {
    const { id, names } = entry;
    this.#undo(['ip', 'link', 'delete', names.veth], entry.undo);
    this.#undo(['ip', 'netns', 'delete', names.netns], entry.undo);
    this.#undo(['rm', '-rf', names.etcDir], entry.undo);
    try {
      mkdirSync(names.etcDir, { recursive: true });
      writeFileSync(`${names.etcDir}/resolv.conf`, resolvConf(this.run.hostAddress));
      writeFileSync(`${names.etcDir}/hosts`, hostsFile(names.address, id));
      if (this.#nsswitch !== null) writeFileSync(`${names.etcDir}/nsswitch.conf`, this.#nsswitch);
      await ipBatch([
        `netns add ${names.netns}`,
        `link add ${names.veth} type veth peer name eth0 netns ${names.netns}`,
        `link set dev ${names.veth} master ${this.run.bridge} up`,
      ]);
      await ipBatch(['link set lo up', 'link set eth0 up', `addr add ${names.address}/64 dev eth0 nodad`], names.netns);
    } catch (err) {
      await this.detach(id);
      throw err instanceof LocalflyError
        ? err
        : new LocalflyError(`network of Machine ${id}: ${(err as Error).message}`);
    }
  }

  async detach(id: string): Promise<void> {
    const entry = this.#attached.get(id);
    if (entry === undefined) return;
    this.#attached.delete(id);
    if (entry.agentPid !== null) {
      try {
        process.kill(-entry.agentPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      this.#cleanup.remove(entry.agentPid);
    }
    // Deleting the host end deletes the pair at once, even while a process still holds the namespace.
    await removeLink(entry.names.veth);
    await removeNamespace(entry.names.netns);
    rmSync(entry.names.etcDir, { recursive: true, force: true });
    rmSync(entry.names.agentSocket, { force: true });
    for (const argv of entry.undo) this.#cleanup.removeUndo(argv);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#attached.keys()].map((id) => this.detach(id)));
      await ip(['link', 'delete', this.run.bridge]).catch(() => undefined);
      rmSync(this.run.stateDir, { recursive: true, force: true });
      this.#cleanup.removeUndo(['ip', 'link', 'delete', this.run.bridge]);
      this.#cleanup.removeUndo(['rm', '-rf', this.run.stateDir]);
    })();
    return this.#closing;
  }
}
