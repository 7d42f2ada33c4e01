import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { loadConfig } from '../../server/config.ts';
import type { RelayEngine } from '../../server/relay/engine.ts';
import { HomeLinks } from '../../server/relayed/home-links.ts';
import { systemClock } from '../../server/streams/clock.ts';
import { StreamRegistry } from '../../server/streams/registry.ts';
import { encodeControl } from '../../shared/protocol.ts';

/**
 * The home side both relay benches run: one live stream on a `dfw` Machine with a publisher that has sent
 * its decoder config, mirrored onto NATS through the home's engine by HomeLinks (as server/relayed does).
 */
export function homeStream(home: Pick<RelayEngine, 'connection'>, machineId: string, log: Logger) {
  const registry = new StreamRegistry({
    limits: loadConfig({}).streams,
    clock: systemClock,
    log,
    machineId,
    region: 'dfw',
    maxStreams: 1,
    maxPendingStreams: 1,
  });
  const created = registry.create({ title: 'Bench', creator: 'bench' });
  assert.ok(created.ok);
  const stream = created.stream;
  const publisher = stream.connectPublisher({ sendText() {}, sendBinary() {}, bufferedAmount: 0, close() {} });
  publisher.onText(encodeControl({ type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } }));
  const links = new HomeLinks({
    connection: () => home.connection(),
    streams: () => registry.list().flatMap((s) => registry.get(s.id) ?? []),
    log,
    now: Date.now,
    countTtlMs: 15_000,
    maxViewersPerRelay: 1_000_000,
    relayChatMaxMessages: 1000,
    relayChatWindowMs: 10_000,
  });
  links.sync();
  return { registry, stream, publisher, links };
}
