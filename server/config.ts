import { isMachineId } from '../shared/machine-id.ts';
import { REGION_PATTERN } from '../shared/region.ts';

/** Everything the server reads from its environment, parsed and checked once at start-up. */
export interface Config {
  /** null off Fly: then the routing hook serves everything locally. */
  machineId: string | null;
  region: string | null;
  appName: string | null;
  host: string;
  port: number;
  /** Private peer API (directory); bound to `host` too, never on the public port. */
  internalPort: number;
  /** Prometheus endpoint, private side. */
  metricsPort: number;
  /** `host:port` of a DNS server for `.internal` names (localfly); null = system resolver. */
  dnsServer: string | null;
  internalToken: string | null;
  discoveryIntervalMs: number;
  /** `timeout=` of the fly-replay header sent for an explicit `?instance=`. */
  replayTimeoutMs: number;
  /** Bodies this size or larger are never replayed (Fly's limit is 1 MiB). */
  maxReplayBodyBytes: number;
  /** GET/HEAD paths any Machine can serve; never replayed. Entries ending in `/` are prefixes. */
  anyMachinePaths: string[];
  demoStreams: number;
  maxStreams: number;
  shutdownTimeoutMs: number;
  publishGraceMs: number;
  /** Stream relay limits (README "Streams and the wire protocol"). */
  publishStartTimeoutMs: number;
  maxFrameBytes: number;
  maxAudioFrameBytes: number;
  gopMaxFrames: number;
  gopMaxBytes: number;
  viewerMaxBacklogBytes: number;
  viewerMaxLagMs: number;
  slowViewerCloseMs: number;
  keyframeRequestIntervalMs: number;
  viewerCountIntervalMs: number;
  logLevel: string;
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

function pattern(env: Env, name: string, re: RegExp, what: string): string | null {
  const raw = text(env, name);
  if (raw !== null && !re.test(raw)) throw new ConfigError(name, `must be ${what}, got ${JSON.stringify(raw)}`);
  return raw;
}

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
  const anyMachine = text(env, 'ANY_MACHINE_PATHS');
  return {
    machineId,
    region: pattern(env, 'FLY_REGION', REGION_PATTERN, 'a region code like ams'),
    appName: pattern(env, 'FLY_APP_NAME', /^[a-z0-9-]{1,63}$/, 'an app name (lowercase letters, digits, -)'),
    host: text(env, 'HOST') ?? '::',
    port: integer(env, 'PORT', 8080, 0, 65535),
    internalPort: integer(env, 'INTERNAL_PORT', 8081, 0, 65535),
    metricsPort: integer(env, 'METRICS_PORT', 9091, 0, 65535),
    dnsServer: pattern(
      env,
      'FLY_DNS_SERVER',
      /^(\[[0-9a-fA-F:.]+\]|[0-9.]+)(:\d{1,5})?$/,
      'host:port, e.g. 127.0.0.1:8053',
    ),
    internalToken: text(env, 'INTERNAL_TOKEN'),
    discoveryIntervalMs: integer(env, 'DISCOVERY_INTERVAL_MS', 5000, 100, 3_600_000),
    replayTimeoutMs: integer(env, 'REPLAY_TIMEOUT_MS', 5000, 100, 60_000),
    maxReplayBodyBytes: integer(env, 'MAX_REPLAY_BODY_BYTES', 1024 * 1024, 1, 1024 * 1024),
    anyMachinePaths:
      anyMachine === null
        ? DEFAULT_ANY_MACHINE_PATHS
        : anyMachine
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
    demoStreams: integer(env, 'DEMO_STREAMS', 0, 0, 100),
    maxStreams: integer(env, 'MAX_STREAMS', 50, 1, 10_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 300_000),
    publishGraceMs: integer(env, 'PUBLISH_GRACE_MS', 15_000, 0, 600_000),
    publishStartTimeoutMs: integer(env, 'PUBLISH_START_TIMEOUT_MS', 60_000, 100, 3_600_000),
    // ws's maxPayload in app.ts is 1 MiB: larger frames are refused (1009) before reaching the relay.
    maxFrameBytes: integer(env, 'MAX_FRAME_BYTES', 512 * 1024, 1024, 1024 * 1024),
    // A 60 ms Opus packet is at most about 3.8 KB (510 kbit/s); twice that is room, and keeps a
    // misbehaving sender from filling the GOP cache with "audio".
    maxAudioFrameBytes: integer(env, 'MAX_AUDIO_FRAME_BYTES', 8192, 64, 1024 * 1024),
    gopMaxFrames: integer(env, 'GOP_MAX_FRAMES', 300, 1, 10_000),
    gopMaxBytes: integer(env, 'GOP_MAX_BYTES', 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    viewerMaxBacklogBytes: integer(env, 'VIEWER_MAX_BACKLOG_BYTES', 2 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    viewerMaxLagMs: integer(env, 'VIEWER_MAX_LAG_MS', 2000, 10, 600_000),
    slowViewerCloseMs: integer(env, 'SLOW_VIEWER_CLOSE_MS', 10_000, 0, 600_000),
    keyframeRequestIntervalMs: integer(env, 'KEYFRAME_REQUEST_INTERVAL_MS', 1000, 0, 600_000),
    viewerCountIntervalMs: integer(env, 'VIEWER_COUNT_INTERVAL_MS', 1000, 0, 600_000),
    logLevel: pattern(env, 'LOG_LEVEL', /^(fatal|error|warn|info|debug|trace|silent)$/, 'a pino level') ?? 'info',
  };
}

/**
 * Config for tests: defaults, overridden field by field. Loopback host and an ephemeral metrics port,
 * so a test that listens never opens a fixed port on every interface.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), host: '127.0.0.1', metricsPort: 0, logLevel: 'silent', ...overrides };
}
