import { isMachineId } from '../shared/machine-id.ts';
import { REGION_PATTERN } from '../shared/region.ts';
import type { DemoOptions } from './demo/plugin.ts';
import { DEFAULT_DIRECTORY_LIMITS } from './directory/limits.ts';
import type { DirectoryConfig } from './directory/plugin.ts';
import type { MachineIdentity } from './machine.ts';
import type { MetricsOptions } from './metrics/plugin.ts';
import type { MovesOptions } from './moves/plugin.ts';
import { DEFAULT_RELAY_LIMITS } from './relay/limits.ts';
import type { RelayConfig } from './relay/plugin.ts';
import { RELAY_HELD_CHAT_MAX } from './relayed/chat-to-home.ts';
import { RELAY_MODES, type RelayedOptions, type RelayMode } from './relayed/settings.ts';
import type { RoutingOptions } from './routing/plugin.ts';
import type { StreamsOptions } from './streams/plugin.ts';
import { HEARTBEAT_INTERVAL_MS, MAX_MESSAGE_BYTES } from './streams/socket-limits.ts';
import { peerToken, STREAM_SECRET_MIN_CHARS } from './streams/tokens.ts';
import { DEFAULT_THUMBNAIL_LIMITS } from './thumbnails/limits.ts';
import type { ThumbnailsOptions } from './thumbnails/plugin.ts';
import { defaultClientRoot } from './web/client-root.ts';
import type { WebOptions } from './web/plugin.ts';

/** The process itself: the public listener, the bound on graceful shutdown, the log level (main.ts, app.ts). */
export interface ServerConfig {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  /** A request's head and body must have arrived this long after it began, else 408 and the connection closes. */
  requestTimeoutMs: number;
  /** A public connection with no traffic either way for this long is closed (sockets that became WebSockets excepted). */
  connectionTimeoutMs: number;
  logLevel: string;
}

/**
 * Idle connections are cut after CONNECTION_TIMEOUT_MS; a directory feed (SSE) sends a heartbeat every
 * 15 s, so the limit must leave it room (5 s for a loaded event loop).
 */
export const MIN_CONNECTION_TIMEOUT_MS = DEFAULT_DIRECTORY_LIMITS.sseHeartbeatMs + 5_000;

/**
 * Everything the server reads from its environment, parsed and checked once at start-up, grouped by the
 * plugin that uses it: each plugin is registered with exactly its group as options (`config.streams`
 * for the streams plugin, ...), and the group's type is that plugin's own options type. A variable that
 * several plugins need is copied into each group here (HOST binds the public, peer and metrics
 * listeners), so no plugin reads another's settings.
 */
export interface Config {
  /** `app.machine`, read by every plugin that needs to know who this Machine is. */
  machine: MachineIdentity;
  server: ServerConfig;
  routing: RoutingOptions;
  streams: StreamsOptions;
  directory: DirectoryConfig;
  moves: MovesOptions;
  /** Both thumbnail plugins: `thumbnails` (the home's store) and `thumbnail-sharing` (routes, peers' copies). */
  thumbnails: ThumbnailsOptions;
  metrics: MetricsOptions;
  relay: RelayConfig;
  relayed: RelayedOptions;
  demo: DemoOptions;
  web: WebOptions;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A secret: never echoed in the error, since the error is printed. */
function secret(env: Env, name: string, minChars: number): string | null {
  const raw = text(env, name);
  if (raw !== null && raw.length < minChars)
    throw new ConfigError(
      name,
      `must be at least ${minChars} characters (e.g. \`openssl rand -hex 32\`), got ${raw.length}`,
    );
  return raw;
}

function pattern(env: Env, name: string, re: RegExp, what: string): string | null {
  const raw = text(env, name);
  if (raw !== null && !re.test(raw)) throw new ConfigError(name, `must be ${what}, got ${JSON.stringify(raw)}`);
  return raw;
}

function relayMode(env: Env): RelayMode {
  const raw = text(env, 'RELAY_MODE') ?? 'overflow';
  if (!RELAY_MODES.includes(raw as RelayMode))
    throw new ConfigError('RELAY_MODE', `must be one of ${RELAY_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as RelayMode;
}

/** URL-safe and quote-safe: it goes into nats-server's config and route URLs as it is. */
const RELAY_SECRET_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

/** Each `nats://` or `tls://` URL of a comma-separated NATS_URL list. */
const NATS_URL_PATTERN = /^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/;

/** `host:port` of a DNS server: FLY_DNS_SERVER. */
const DNS_SERVER_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+)(:\d{1,5})?$/;

/** GET/HEAD paths any Machine can answer: health, hashed assets, favicon, and the directory's read API. */
export const DEFAULT_ANY_MACHINE_PATHS = [
  '/healthz',
  '/assets/',
  '/favicon.ico',
  '/favicon.svg',
  '/api/streams',
  '/api/streams/',
];

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const machineId = text(env, 'FLY_MACHINE_ID');
  if (machineId !== null && !isMachineId(machineId)) {
    throw new ConfigError('FLY_MACHINE_ID', `must be 14 lowercase hex chars, got ${JSON.stringify(machineId)}`);
  }
  const shutdownTimeoutMs = integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 300_000);
  const host = text(env, 'HOST') ?? '::';
  const anyMachine = text(env, 'ANY_MACHINE_PATHS');
  const maxStreams = integer(env, 'MAX_STREAMS', 50, 1, 10_000);
  const streamSecret = secret(env, 'STREAM_SECRET', STREAM_SECRET_MIN_CHARS);
  // The total viewers of one stream (home and relays) a snapshot may carry; relays' counts are held to it too.
  const maxStreamViewers = integer(
    env,
    'MAX_STREAM_VIEWERS',
    DEFAULT_DIRECTORY_LIMITS.maxViewersPerStream,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const peerClockSkewMs = integer(env, 'PEER_CLOCK_SKEW_MS', DEFAULT_DIRECTORY_LIMITS.peerClockSkewMs, 0, 3_600_000);
  const thumbnails = thumbnailOptions(env);
  const dnsServer = pattern(env, 'FLY_DNS_SERVER', DNS_SERVER_PATTERN, 'host:port, e.g. 127.0.0.1:8053');
  return {
    machine: {
      id: machineId,
      region: pattern(env, 'FLY_REGION', REGION_PATTERN, 'a region code like ams'),
      appName: pattern(env, 'FLY_APP_NAME', /^[a-z0-9-]{1,63}$/, 'an app name (lowercase letters, digits, -)'),
    },
    server: {
      host,
      port: integer(env, 'PORT', 8080, 0, 65535),
      shutdownTimeoutMs,
      requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
      connectionTimeoutMs: integer(env, 'CONNECTION_TIMEOUT_MS', 60_000, MIN_CONNECTION_TIMEOUT_MS, 3_600_000),
      logLevel: pattern(env, 'LOG_LEVEL', /^(fatal|error|warn|info|debug|trace|silent)$/, 'a pino level') ?? 'info',
    },
    routing: {
      replayTimeoutMs: integer(env, 'REPLAY_TIMEOUT_MS', 5000, 100, 60_000),
      maxReplayBodyBytes: integer(env, 'MAX_REPLAY_BODY_BYTES', 1024 * 1024, 1, 1024 * 1024),
      anyMachinePaths:
        anyMachine === null
          ? DEFAULT_ANY_MACHINE_PATHS
          : anyMachine
              .split(',')
              .map((p) => p.trim())
              .filter(Boolean),
    },
    streams: {
      streamSecret,
      maxStreams,
      maxPendingStreams: integer(env, 'MAX_PENDING_STREAMS', 10, 1, 10_000),
      createStreamsPerMinute: integer(env, 'CREATE_STREAMS_PER_MINUTE', 3, 1, 100_000),
      maxWatchSocketsPerClient: integer(env, 'MAX_WATCH_SOCKETS_PER_CLIENT', 16, 1, 100_000),
      wsMaxBadMessages: integer(env, 'WS_MAX_BAD_MESSAGES', 10, 1, 100_000),
      wsBadMessageWindowMs: integer(env, 'WS_BAD_MESSAGE_WINDOW_MS', 10_000, 100, 3_600_000),
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      // Half the shutdown bound: the directory's goodbye to its peers and the listeners need the rest.
      drainTimeoutMs: shutdownTimeoutMs / 2,
      publishGraceMs: integer(env, 'PUBLISH_GRACE_MS', 15_000, 0, 600_000),
      publishStartTimeoutMs: integer(env, 'PUBLISH_START_TIMEOUT_MS', 15_000, 100, 3_600_000),
      // Bounded by the WebSocket server's own limit: a larger message is refused (1009) before the relay sees it.
      maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', 512 * 1024, 1024, MAX_MESSAGE_BYTES),
      // A 60 ms Opus packet is at most about 3.8 KB (510 kbit/s); twice that is room, and keeps a
      // misbehaving sender from filling the GOP cache with "audio".
      maxAudioFrameBytes: integer(env, 'MAX_AUDIO_FRAME_BYTES', 8192, 64, MAX_MESSAGE_BYTES),
      gopMaxFrames: integer(env, 'GOP_MAX_FRAMES', 300, 1, 10_000),
      gopMaxBytes: integer(env, 'GOP_MAX_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      viewerMaxBacklogBytes: integer(env, 'VIEWER_MAX_BACKLOG_BYTES', 2 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      viewerMaxLagMs: integer(env, 'VIEWER_MAX_LAG_MS', 2000, 10, 600_000),
      slowViewerCloseMs: integer(env, 'SLOW_VIEWER_CLOSE_MS', 10_000, 0, 600_000),
      keyframeRequestIntervalMs: integer(env, 'KEYFRAME_REQUEST_INTERVAL_MS', 1000, 0, 600_000),
      viewerCountIntervalMs: integer(env, 'VIEWER_COUNT_INTERVAL_MS', 1000, 0, 600_000),
    },
    directory: {
      host,
      internalPort: integer(env, 'INTERNAL_PORT', 8081, 0, 65535),
      dnsServer,
      internalToken: peerToken(text(env, 'INTERNAL_TOKEN'), streamSecret),
      discoveryIntervalMs: integer(env, 'DISCOVERY_INTERVAL_MS', 5000, 100, 3_600_000),
      limits: {
        ...DEFAULT_DIRECTORY_LIMITS,
        sseMaxFeedsPerClient: integer(
          env,
          'MAX_SSE_PER_CLIENT',
          DEFAULT_DIRECTORY_LIMITS.sseMaxFeedsPerClient,
          1,
          1000,
        ),
        // No Machine of the app hosts more than MAX_STREAMS, so no peer snapshot lists more.
        maxStreamsPerSnapshot: maxStreams,
        maxViewersPerStream: maxStreamViewers,
        peerClockSkewMs,
        maxMachines: integer(env, 'MAX_DIRECTORY_MACHINES', DEFAULT_DIRECTORY_LIMITS.maxMachines, 1, 100_000),
      },
    },
    moves: { clockSkewMs: peerClockSkewMs },
    thumbnails,
    // The endpoint listens on the same interfaces as the app (:: on Fly, for 6PN).
    metrics: { host, port: integer(env, 'METRICS_PORT', 9091, 0, 65535) },
    relay: {
      host,
      privateIp: pattern(env, 'FLY_PRIVATE_IP', /^[0-9a-fA-F:.]{2,45}$/, 'an IP address'),
      dnsServer,
      natsUrl: pattern(env, 'NATS_URL', NATS_URL_PATTERN, 'nats://host:port (comma-separated for several)'),
      serverBin: text(env, 'NATS_SERVER_BIN'),
      secret: pattern(
        env,
        'RELAY_SECRET',
        RELAY_SECRET_PATTERN,
        '16-256 characters of A-Z a-z 0-9 . _ ~ - (e.g. openssl rand -hex 32)',
      ),
      clientPort: integer(env, 'NATS_CLIENT_PORT', 4222, 1, 65535),
      clusterPort: integer(env, 'NATS_CLUSTER_PORT', 6222, 1, 65535),
      gatewayPort: integer(env, 'NATS_GATEWAY_PORT', 7222, 1, 65535),
      monitorPort: integer(env, 'NATS_MONITOR_PORT', 8222, 1, 65535),
      // nats-server refuses a max_payload above 64 MiB; frames stay under 1 MiB plus header.
      maxPayloadBytes: integer(env, 'NATS_MAX_PAYLOAD_BYTES', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
      writeDeadlineMs: integer(env, 'NATS_WRITE_DEADLINE_MS', 2000, 100, 60_000),
      limits: DEFAULT_RELAY_LIMITS,
    },
    relayed: {
      mode: relayMode(env),
      overflowViewers: integer(env, 'RELAY_OVERFLOW_VIEWERS', 800, 1, 1_000_000),
      lingerMs: integer(env, 'RELAY_LINGER_MS', 30_000, 0, 3_600_000),
      joinTimeoutMs: integer(env, 'RELAY_JOIN_TIMEOUT_MS', 3000, 100, 60_000),
      heartbeatMs: integer(env, 'RELAY_HEARTBEAT_MS', 5000, 100, 600_000),
      maxStreamViewers,
      chatMaxMessages: integer(env, 'RELAY_CHAT_MAX_MESSAGES', 1000, 1, 1_000_000),
      heldChatMax: integer(env, 'RELAY_HELD_CHAT_MAX', RELAY_HELD_CHAT_MAX, 0, 10_000),
    },
    demo: { streams: integer(env, 'DEMO_STREAMS', 0, 0, 100), thumbnailIntervalMs: thumbnails.intervalMs },
    web: { root: defaultClientRoot() },
  };
}

function thumbnailOptions(env: Env): ThumbnailsOptions {
  const maxBytes = integer(env, 'THUMBNAIL_MAX_BYTES', 64 * 1024, 1024, 1024 * 1024);
  const minIntervalMs = integer(env, 'THUMBNAIL_MIN_INTERVAL_MS', 5000, 100, 3_600_000);
  const intervalMs = integer(env, 'THUMBNAIL_INTERVAL_MS', 10_000, 100, 3_600_000);
  // Pages and demos that sent at their interval would be refused by the rate limit.
  if (intervalMs < minIntervalMs) {
    throw new ConfigError('THUMBNAIL_INTERVAL_MS', `must be at least THUMBNAIL_MIN_INTERVAL_MS (${minIntervalMs})`);
  }
  const cacheMaxBytes = integer(env, 'THUMBNAIL_CACHE_MAX_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024);
  // Every copy must fit on its own, or one would be fetched and evicted at once.
  if (cacheMaxBytes < maxBytes) {
    throw new ConfigError('THUMBNAIL_CACHE_MAX_BYTES', `must be at least THUMBNAIL_MAX_BYTES (${maxBytes})`);
  }
  return { maxBytes, minIntervalMs, intervalMs, cacheMaxBytes, limits: DEFAULT_THUMBNAIL_LIMITS };
}

/** Per group, the fields a test sets; the rest keep their defaults. */
export type ConfigOverrides = { [Group in keyof Config]?: Partial<Config[Group]> };

/**
 * Config for tests: defaults, overridden field by field within each group. Loopback hosts and an
 * ephemeral metrics port, so a test that listens never opens a fixed port on every interface; no
 * embedded nats-server (a test that wants one sets `relay.serverBin`).
 */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  const base = loadConfig({});
  return {
    machine: { ...base.machine, ...overrides.machine },
    server: { ...base.server, host: '127.0.0.1', logLevel: 'silent', ...overrides.server },
    routing: { ...base.routing, ...overrides.routing },
    streams: { ...base.streams, ...overrides.streams },
    directory: { ...base.directory, host: '127.0.0.1', ...overrides.directory },
    moves: { ...base.moves, ...overrides.moves },
    thumbnails: { ...base.thumbnails, ...overrides.thumbnails },
    metrics: { ...base.metrics, host: '127.0.0.1', port: 0, ...overrides.metrics },
    relay: { ...base.relay, host: '127.0.0.1', serverBin: 'off', ...overrides.relay },
    relayed: { ...base.relayed, ...overrides.relayed },
    demo: { ...base.demo, ...overrides.demo },
    web: { ...base.web, ...overrides.web },
  };
}
