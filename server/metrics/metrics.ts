import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Decision } from '../routing/decide.ts';
import { type DirectorySample, directorySample, type StreamSample, streamSample } from './samples.ts';

/** Where scrape-time values come from; each returns the feature's `stats()`, or undefined when absent. */
export interface MetricSources {
  streams?: () => unknown;
  directory?: () => unknown;
  /** ms since the epoch; injectable for tests. */
  now?: () => number;
  /** A source that throws must not fail the whole scrape: it is reported here and skipped. */
  onSourceError?: (source: 'streams' | 'directory', err: unknown) => void;
}

/**
 * The app's Prometheus metrics in a registry of its own (never prom-client's global one, so two apps
 * in one process, as in tests, do not collide). Routing decisions are counted as they happen; stream
 * and directory figures are read from their `stats()` at scrape time.
 */
export class AppMetrics {
  readonly registry = new Registry();
  /**
   * Decision counts by action, then reason: plain numbers, written into the counters at scrape time.
   * A prom-client label child still hashes its labels on every inc(); this runs on every request.
   */
  private readonly decisionCounts = new Map<string, Map<string, { n: number }>>();
  private processMetrics = false;

  constructor(private readonly sources: MetricSources = {}) {
    const registers = [this.registry];
    const counts = this.decisionCounts;
    new Counter({
      name: 'replaycast_routing_decisions_total',
      help: 'Routing decisions of the onRequest hook, by action (serve, replay, reject) and reason.',
      labelNames: ['action', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [action, byReason] of counts)
          for (const [reason, cell] of byReason) this.inc({ action, reason }, cell.n);
      },
    });
    new Counter({
      name: 'replaycast_replays_total',
      help: 'fly-replay answers sent, by reason (instance: an ?instance= link; cookie: the fly-machine-id cookie).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, cell] of counts.get('replay') ?? []) this.inc({ reason }, cell.n);
      },
    });

    const streams = (): StreamSample => streamSample(this.read('streams'));
    const directory = (): DirectorySample => directorySample(this.read('directory'), (sources.now ?? Date.now)());
    const gauge = (name: string, help: string, pick: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const v = pick();
          if (v !== undefined) this.set(v);
        },
      });
    // Totals kept by the features themselves: exposed as counters, set to the feature's own running total.
    const total = (name: string, help: string, pick: () => number | undefined) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const v = pick();
          if (v !== undefined) {
            this.reset();
            this.inc(v);
          }
        },
      });

    gauge('replaycast_live_streams', 'Live streams hosted on this Machine.', () => streams().liveStreams);
    gauge('replaycast_viewers', 'Viewers watching streams hosted on this Machine.', () => streams().viewers);
    total('replaycast_frames_sent_total', 'Video frames sent to viewers.', () => streams().framesSent);
    total(
      'replaycast_frames_skipped_total',
      'Video frames skipped for viewers that fell behind.',
      () => streams().framesSkipped,
    );
    total('replaycast_chat_messages_total', 'Chat messages relayed.', () => streams().chatMessages);
    total(
      'replaycast_discovery_failures_total',
      'Peer discovery rounds whose .internal DNS lookup failed.',
      () => directory().discoveryFailures,
    );
    total(
      'replaycast_peer_fetch_failures_total',
      'Directory snapshot fetches from peer Machines that failed.',
      () => directory().peerFetchFailures,
    );
    gauge(
      'replaycast_directory_staleness_seconds',
      'Seconds since the directory last completed a discovery round.',
      () => directory().stalenessSeconds,
    );
    gauge(
      'replaycast_directory_stale',
      '1 while the directory serves its last good view because discovery fails.',
      () => {
        const stale = directory().stale;
        return stale === undefined ? undefined : Number(stale);
      },
    );
  }

  /** The routing plugin's onDecision callback; runs on every request, so it only bumps a number. */
  recordDecision(decision: Decision): void {
    let byReason = this.decisionCounts.get(decision.action);
    if (byReason === undefined) {
      byReason = new Map();
      this.decisionCounts.set(decision.action, byReason);
    }
    const cell = byReason.get(decision.reason);
    if (cell === undefined) byReason.set(decision.reason, { n: 1 });
    else cell.n++;
  }

  /** Node process metrics (CPU, memory, event loop lag); enabled once, when the endpoint opens. */
  enableProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  private read(source: 'streams' | 'directory'): unknown {
    try {
      return this.sources[source]?.();
    } catch (err) {
      this.sources.onSourceError?.(source, err);
      return undefined;
    }
  }
}
