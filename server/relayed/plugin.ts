import fp from 'fastify-plugin';
import { CHAT_RATE_WINDOW_MS } from '../../shared/protocol.ts';
import { systemClock } from '../streams/clock.ts';
import { newCounters } from '../streams/relay-counters.ts';
import { HomeLinks } from './home-links.ts';
import { RelayOutage } from './outage.ts';
import { RelaySet } from './relay-set.ts';
import type { RelayedOptions } from './settings.ts';

export type { RelayedOptions } from './settings.ts';

/** What the routing hook asks of this Machine's relays. */
export interface RelayedService {
  readonly options: RelayedOptions;
  /** NATS is up here and RELAY_MODE is not off: this Machine can relay. */
  ready(): boolean;
  /** Open stream sockets here (home viewers, relayed viewers, publishers). */
  connections(): number;
  readonly relays: RelaySet;
}

declare module 'fastify' {
  interface FastifyInstance {
    relayed: RelayedService;
  }
}

/**
 * Regional relays: mirrors the streams homed here on NATS, and relays streams homed elsewhere to the
 * viewers sent here (RELAY_MODE). Its load (sockets, relayed streams) goes into the directory snapshot.
 */
export const relayedPlugin = fp<RelayedOptions>(
  async (app, options) => {
    const { relayEngine: engine, streams, directory, machine } = app;
    const log = app.log.child({ component: 'relayed' });
    const on = options.mode !== 'off';
    const connection = () => (on ? engine.connection() : null);
    const ready = () => on && engine.status() === 'ok' && engine.connection() !== null;
    const links = new HomeLinks({
      connection,
      streams: () => streams.live(),
      log,
      now: Date.now,
      countTtlMs: options.heartbeatMs * 3,
      maxViewersPerRelay: options.maxStreamViewers,
      relayChatMaxMessages: options.chatMaxMessages,
      relayChatWindowMs: CHAT_RATE_WINDOW_MS,
    });
    const self = { machineId: machine.id ?? 'local', region: machine.region ?? '' };
    let loadTimer: NodeJS.Timeout | null = null;
    const relays = new RelaySet({
      connection: () => (ready() ? engine.connection() : null),
      homeOf: (id) => directory.get(id),
      self,
      limits: streams.limits,
      clock: systemClock,
      counters: newCounters(),
      log,
      lingerMs: options.lingerMs,
      joinTimeoutMs: options.joinTimeoutMs,
      heartbeatMs: options.heartbeatMs,
      heldChatMax: options.heldChatMax,
      onChange: () => {
        // At most one snapshot change per viewer-count interval.
        loadTimer ??= setTimeout(() => {
          loadTimer = null;
          publishLoad();
        }, streams.limits.viewerCountIntervalMs);
        loadTimer.unref();
      },
    });
    const connections = () => {
      const s = streams.stats();
      return s.viewers + s.publishers + relays.viewers;
    };
    const publishLoad = () => directory.setLoad(connections(), relays.list());

    streams.useRelays({
      canServe: (id) => on && relays.canServe(id),
      addViewer: (id, peer, clientKey) => (on ? relays.addViewer(id, peer, clientKey) : null),
    });
    streams.onChange(() => {
      links.sync();
      publishLoad();
    });
    directory.onPeersChange(() => relays.dropOrphans());

    const outage = new RelayOutage(relays, options.joinTimeoutMs, systemClock);
    engine.onStatus((status) => {
      links.sync();
      outage.status(status);
    });

    app.decorate('relayed', { options, ready, connections, relays } satisfies RelayedService);
    app.addHook('preClose', async () => {
      if (loadTimer !== null) clearTimeout(loadTimer);
      outage.cancel();
      relays.closeAll('server shutting down');
      links.closeAll();
    });
  },
  {
    name: 'relayed',
    fastify: '5.x',
    dependencies: ['machine', 'relay-engine', 'streams', 'directory'],
  },
);
