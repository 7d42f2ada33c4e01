import { compareOrder, type Snapshot, type SnapshotOrder } from './snapshot.ts';
import type { VmEntry } from './txt.ts';

/** What this Machine knows about one peer. */
export interface MachineRecord {
  id: string;
  region: string;
  /** In the latest good answer of TXT `vms.<app>.internal`. */
  listed: boolean;
  /** Shown in the directory while non-null; null before the first fetch and once forgotten. */
  snapshot: Snapshot | null;
  /** Newest (bootId, version) ever accepted; outlives `snapshot` so late messages stay ignored. */
  newest: SnapshotOrder | null;
  /** Last successful contact (fetch 200/304, or an accepted push), ms since the epoch. */
  lastSeenMs: number | null;
  /** Last accepted push; gives an unlisted Machine a grace period (DNS may lag a new Machine). */
  pushedAtMs: number | null;
  /** Failed fetches in a row. */
  failures: number;
  forgottenAtMs: number | null;
}

export interface ForgettingRules {
  /** Failed fetches in a row that drop a listed Machine's streams. */
  maxFailedFetches: number;
  /** How long a Machine only known from its push is kept while `vms` does not list it yet. */
  absentGraceMs: number;
  /** How long a forgotten Machine's ordering key is remembered. */
  tombstoneMs: number;
  /** Records kept at most; a remembered (forgotten, unlisted) Machine makes way for a new one. */
  maxMachines: number;
}

/** `full`: a Machine new to this state, and every record is in use. */
export type ApplyOutcome = 'applied' | 'duplicate' | 'older' | 'self' | 'full';
export type FailOutcome = 'failed' | 'dropped';

export interface MembershipChange {
  joined: string[];
  dropped: string[];
  /** Listed Machines left out: every record was in use. */
  overflow: number;
}

/**
 * The directory's memory of its peers, without I/O or clocks (time is passed in), so every rule
 * (newest snapshot wins, forgetting on leave or on repeated failure, grace, tombstones) is tested as a table.
 */
export class DirectoryState {
  readonly records = new Map<string, MachineRecord>();
  /** Grows whenever a shown snapshot changes (applied, dropped): the public view is rebuilt only then. */
  private revisionCount = 0;

  constructor(
    readonly selfId: string | null,
    readonly rules: ForgettingRules,
  ) {}

  get revision(): number {
    return this.revisionCount;
  }

  /** The Machine's record, created if there is room; undefined when every record is in use. */
  private record(id: string, region: string): MachineRecord | undefined {
    let rec = this.records.get(id);
    if (rec === undefined) {
      if (this.records.size >= this.rules.maxMachines && !this.evictRemembered()) return undefined;
      rec = {
        id,
        region,
        listed: false,
        snapshot: null,
        newest: null,
        lastSeenMs: null,
        pushedAtMs: null,
        failures: 0,
        forgottenAtMs: null,
      };
      this.records.set(id, rec);
    }
    return rec;
  }

  /** Drops the remembered-only Machine forgotten longest ago (or never shown); false when there is none. */
  private evictRemembered(): boolean {
    let oldest: MachineRecord | undefined;
    for (const rec of this.records.values()) {
      if (rec.listed || rec.snapshot !== null) continue;
      if (oldest === undefined || (rec.forgottenAtMs ?? -Infinity) < (oldest.forgottenAtMs ?? -Infinity)) oldest = rec;
    }
    if (oldest === undefined) return false;
    this.records.delete(oldest.id);
    return true;
  }

  private forget(rec: MachineRecord, nowMs: number): boolean {
    const wasVisible = rec.snapshot !== null;
    if (wasVisible) this.revisionCount++;
    rec.snapshot = null;
    rec.pushedAtMs = null;
    rec.forgottenAtMs = nowMs;
    return wasVisible;
  }

  /**
   * Keeps `snapshot` if it is newer than anything accepted from that Machine. The same snapshot again is
   * a duplicate, except that it brings back a listed Machine forgotten after failed fetches (it is
   * reachable again and has not changed). A late message from a Machine that left changes nothing.
   */
  applySnapshot(snapshot: Snapshot, nowMs: number, via: 'push' | 'fetch'): ApplyOutcome {
    if (snapshot.machineId === this.selfId) return 'self';
    const rec = this.record(snapshot.machineId, snapshot.region);
    if (rec === undefined) return 'full';
    const order = rec.newest === null ? 1 : compareOrder(snapshot, rec.newest);
    if (order < 0) return 'older';
    if (order === 0 && (rec.snapshot !== null || !rec.listed)) {
      if (rec.snapshot !== null) {
        rec.lastSeenMs = nowMs;
        if (via === 'fetch') rec.failures = 0;
      }
      return 'duplicate';
    }
    rec.newest = { bootId: snapshot.bootId, version: snapshot.version };
    rec.snapshot = snapshot;
    this.revisionCount++;
    rec.region = snapshot.region;
    rec.lastSeenMs = nowMs;
    rec.forgottenAtMs = null;
    if (via === 'fetch') rec.failures = 0;
    if (via === 'push' && !rec.listed) rec.pushedAtMs = nowMs;
    return 'applied';
  }

  /** A conditional fetch answered 304: the held snapshot is current. */
  notModified(id: string, nowMs: number): void {
    const rec = this.records.get(id);
    if (rec === undefined) return;
    rec.failures = 0;
    rec.lastSeenMs = nowMs;
  }

  /** A fetch failed (timeout, refused, bad answer); the `maxFailedFetches`-th in a row drops the Machine. */
  fetchFailed(id: string, nowMs: number): FailOutcome {
    const rec = this.records.get(id);
    if (rec === undefined) return 'failed';
    rec.failures++;
    if (rec.failures >= this.rules.maxFailedFetches && rec.snapshot !== null) {
      this.forget(rec, nowMs);
      return 'dropped';
    }
    return 'failed';
  }

  /**
   * Applies a good answer of TXT `vms.<app>.internal`. A Machine that was listed and is not any more is
   * dropped at once; one known only from its push keeps a grace period. Old tombstones are pruned.
   */
  applyMembership(vms: readonly VmEntry[], nowMs: number): MembershipChange {
    const joined: string[] = [];
    const dropped: string[] = [];
    const listedNow = new Set(vms.map((vm) => vm.id));
    listedNow.delete(this.selfId ?? '');
    // Leavers first: once forgotten, their records can make way for this round's newcomers.
    for (const rec of [...this.records.values()]) {
      if (listedNow.has(rec.id)) continue;
      const inGrace = !rec.listed && rec.pushedAtMs !== null && nowMs - rec.pushedAtMs < this.rules.absentGraceMs;
      rec.listed = false;
      if (rec.snapshot !== null && !inGrace && this.forget(rec, nowMs)) dropped.push(rec.id);
      if (rec.snapshot === null) {
        const nothingToRemember = rec.newest === null;
        const expired = rec.forgottenAtMs !== null && nowMs - rec.forgottenAtMs >= this.rules.tombstoneMs;
        if (nothingToRemember || expired) this.records.delete(rec.id);
      }
    }
    let overflow = 0;
    for (const vm of vms) {
      if (vm.id === this.selfId) continue;
      const rec = this.record(vm.id, vm.region);
      if (rec === undefined) {
        overflow++;
        continue;
      }
      if (!rec.listed) joined.push(vm.id);
      rec.listed = true;
      rec.region = vm.region;
      rec.pushedAtMs = null;
    }
    return { joined, dropped, overflow };
  }

  /** Machines currently shown (holding a snapshot). */
  visible(): MachineRecord[] {
    return [...this.records.values()].filter((rec) => rec.snapshot !== null);
  }

  /** Listed Machines: the ones a discovery round fetches. */
  listed(): MachineRecord[] {
    return [...this.records.values()].filter((rec) => rec.listed);
  }

  /** Machines a change is pushed to: listed or shown. */
  pushTargets(): MachineRecord[] {
    return [...this.records.values()].filter((rec) => rec.listed || rec.snapshot !== null);
  }

  /** Whether the Machine exists as far as this state knows (listed by DNS or shown). */
  knows(id: string): boolean {
    if (id === this.selfId) return true;
    const rec = this.records.get(id);
    return rec !== undefined && (rec.listed || rec.snapshot !== null);
  }
}
