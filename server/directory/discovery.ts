import type { FastifyBaseLogger } from 'fastify';
import { nextRoundDelayMs, readFetchAnswer, unreachableLog } from './discovery-rules.ts';
import { vmsTxtName } from './dns-names.ts';
import type { DirectoryLimits } from './limits.ts';
import type { PeerAuthorizer } from './peer-auth.ts';
import type { PeerLink } from './peer-link.ts';
import { forEachLimited } from './pool.ts';
import type { DirectoryResolver } from './resolver.ts';
import { snapshotEtag, snapshotRules } from './snapshot.ts';
import type { DirectoryState } from './state.ts';
import type { DirectoryCounters } from './stats.ts';
import { parseVmsTxt } from './txt.ts';

export interface DiscoveryOptions {
  appName: string;
  intervalMs: number;
  resolver: DirectoryResolver;
  state: DirectoryState;
  link: PeerLink;
  /** Its addresses are looked up again in each round, alongside the TXT question. */
  authorizer: PeerAuthorizer;
  counters: DirectoryCounters;
  limits: DirectoryLimits;
  log: FastifyBaseLogger;
  now: () => number;
  random: () => number;
  /** Something in the view may have changed. */
  viewChanged(): void;
  /** A good DNS answer was applied; `first`: the first since start. */
  membershipApplied(first: boolean): void;
}

/**
 * The discovery loop: every interval (jittered; backoff after a failed DNS lookup), TXT
 * `vms.<app>.internal` for membership, then each listed peer's snapshot (conditional GET), a few at a
 * time. The rules live in DirectoryState and discovery-rules.ts; this does the I/O, the timer and the
 * logging (once per state change, not per attempt).
 */
export class Discovery {
  private readonly opts: DiscoveryOptions;
  private readonly vmsName: string;
  /** Peers whose last fetch failed: the log says so once per outage, not per attempt. */
  private readonly failing = new Set<string>();
  /** Listed Machines left out last round (records full): logged when it changes, not every round. */
  private overflow = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(opts: DiscoveryOptions) {
    this.opts = opts;
    this.vmsName = vmsTxtName(opts.appName);
  }

  /** Runs the first round, then keeps running rounds on the timer until stop(). */
  async start(): Promise<void> {
    await this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const startedMs = this.opts.now();
    await this.round();
    if (this.stopped) return;
    const { limits } = this.opts;
    const delayMs = nextRoundDelayMs(
      this.opts.counters.consecutiveDnsFailures,
      this.opts.now() - startedMs,
      {
        intervalMs: this.opts.intervalMs,
        jitterRatio: limits.discoveryJitterRatio,
        backoffBaseMs: limits.backoffBaseMs,
        backoffMaxMs: limits.backoffMaxMs,
      },
      this.opts.random(),
    );
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  /** One discovery round: membership from DNS, then every listed peer's snapshot, a few at a time. */
  async round(): Promise<void> {
    const { counters, state, log } = this.opts;
    counters.rounds++;
    let records: string[][];
    try {
      const [txt] = await Promise.all([
        this.opts.resolver.resolveTxt(this.vmsName),
        this.opts.authorizer.refresh().catch(() => {}),
      ]);
      records = txt;
    } catch (err) {
      this.dnsFailed(err as NodeJS.ErrnoException);
      return;
    }
    const first = counters.lastDiscoveryOkMs === null;
    this.dnsOk();
    const { vms, invalid } = parseVmsTxt(records);
    if (invalid.length > 0) log.warn({ name: this.vmsName, invalid }, 'directory: skipped malformed vms entries');
    const change = state.applyMembership(vms, this.opts.now());
    for (const id of change.joined) log.info({ peer: id }, 'directory: Machine joined');
    for (const id of change.dropped) log.info({ peer: id }, 'directory: Machine left; its streams are dropped');
    if (change.overflow !== this.overflow && change.overflow > 0) {
      log.warn(
        { leftOut: change.overflow, maxMachines: this.opts.limits.maxMachines },
        'directory: vms lists more Machines than the directory keeps; the rest are left out',
      );
    }
    this.overflow = change.overflow;
    this.opts.link.retain((id) => state.knows(id));
    for (const id of [...this.failing]) if (!state.knows(id)) this.failing.delete(id);
    this.opts.membershipApplied(first);
    const peers = state.listed().map((rec) => rec.id);
    await forEachLimited(peers, this.opts.limits.maxConcurrentFetches, (id) => this.fetchPeer(id));
  }

  private dnsFailed(err: NodeJS.ErrnoException): void {
    const { counters } = this.opts;
    counters.dnsFailures++;
    counters.consecutiveDnsFailures++;
    if (counters.consecutiveDnsFailures === 1) {
      this.opts.log.warn(
        { name: this.vmsName, code: err.code, err: err.message },
        'directory: DNS lookup failed; keeping the last directory (stale) and retrying with backoff',
      );
      this.opts.viewChanged();
    }
  }

  private dnsOk(): void {
    const { counters } = this.opts;
    if (counters.consecutiveDnsFailures > 0) {
      this.opts.log.info({ failedRounds: counters.consecutiveDnsFailures }, 'directory: DNS lookups work again');
    }
    counters.consecutiveDnsFailures = 0;
    counters.lastDiscoveryOkMs = this.opts.now();
  }

  private async fetchPeer(id: string): Promise<void> {
    const { counters, state, log } = this.opts;
    const held = state.records.get(id)?.snapshot ?? null;
    counters.fetches++;
    try {
      const res = await this.opts.link.get(
        id,
        this.opts.limits.peerTimeoutMs,
        held === null ? undefined : snapshotEtag(held),
      );
      const answer = readFetchAnswer(res, held !== null, id, snapshotRules(this.opts.limits, this.opts.now()));
      if (answer.kind === 'failed') throw new Error(answer.error);
      if (answer.kind === 'not-modified') {
        counters.fetchesNotModified++;
        state.notModified(id, this.opts.now());
      } else if (state.applySnapshot(answer.snapshot, this.opts.now(), 'fetch') === 'applied') {
        this.opts.viewChanged();
      }
      if (this.failing.delete(id)) log.info({ peer: id }, 'directory: peer reachable again');
    } catch (err) {
      counters.fetchesFailed++;
      this.opts.link.forget(id);
      const neverSeen = state.records.get(id)?.lastSeenMs == null;
      const outcome = state.fetchFailed(id, this.opts.now());
      if (!this.failing.has(id)) {
        this.failing.add(id);
        const { level, message } = unreachableLog(neverSeen);
        log[level]({ peer: id, err: (err as Error).message }, message);
      }
      if (outcome === 'dropped') {
        log.warn(
          { peer: id, failures: this.opts.limits.maxFailedFetches },
          'directory: peer failed repeatedly; its streams are dropped',
        );
        this.opts.viewChanged();
      }
    }
  }
}
