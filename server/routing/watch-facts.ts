import type { FastifyInstance } from 'fastify';
import type { WatchFacts } from './relay-route.ts';

/** Gathers what relay-route.ts decides on for one watch request: the directory's view, this Machine's load. */
export function watchFactsOf(app: FastifyInstance): (streamId: string, edgeRegion: string | undefined) => WatchFacts {
  const { directory, relayed, machine } = app;
  return (streamId, edgeRegion) => {
    const stream = directory.get(streamId);
    const self = machine.id;
    const machines = directory
      .view()
      .machines.filter((m) => m.id !== self)
      .map((m) => ({ id: m.id, region: m.region, relay: m.relay, connections: m.connections }));
    // The home's own count is read live: its directory entry lags by up to a viewer-count interval.
    const held =
      stream !== undefined && stream.machineId === self ? app.streams.list().find((s) => s.id === streamId) : undefined;
    return {
      mode: relayed.options.mode,
      selfRegion: machine.region,
      selfReady: relayed.ready(),
      selfConnections: relayed.connections(),
      edgeRegion,
      home:
        stream === undefined
          ? undefined
          : { machineId: stream.machineId, region: stream.region, viewers: held?.viewers ?? stream.viewers },
      machines,
      overflowViewers: relayed.options.overflowViewers,
    };
  };
}
