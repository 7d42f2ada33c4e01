import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';

/** The repository root (this file lives in test/deploy/). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The parts of fly.toml the app relies on; everything optional, so tests assert presence themselves. */
export interface FlyToml {
  app?: string;
  primary_region?: string;
  kill_signal?: string;
  kill_timeout?: string | number;
  build?: { dockerfile?: string };
  deploy?: { strategy?: string };
  env?: Record<string, unknown>;
  http_service?: {
    internal_port?: number;
    force_https?: boolean;
    auto_stop_machines?: string | boolean;
    auto_start_machines?: boolean;
    concurrency?: { type?: string; soft_limit?: number; hard_limit?: number };
    checks?: { path?: string; method?: string; interval?: string; timeout?: string; grace_period?: string }[];
    http_options?: { replay_cache?: { path_prefix?: string; ttl_seconds?: number; type?: string; name?: string }[] };
  };
  metrics?: { port?: number; path?: string };
}

export function readFlyToml(root = REPO_ROOT): FlyToml {
  return parse(readFileSync(join(root, 'fly.toml'), 'utf8')) as FlyToml;
}

/**
 * A fly.toml duration in milliseconds: a string like "15s", "500ms", "2m", or a bare number of
 * seconds (the older form of kill_timeout). Throws on anything else.
 */
export function durationMs(value: string | number | undefined): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value) : null;
  if (match === null) throw new Error(`not a fly.toml duration: ${JSON.stringify(value)}`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unitMs;
}

/** A fake but well-formed Machine id for rehearsals: 14 lowercase hex chars. */
export const REHEARSAL_MACHINE_ID = '3d8d9a1b2c4e60';

/**
 * The environment a Machine of this app would see: the variables Fly sets itself, then fly.toml's
 * [env] (strings, as Fly passes them).
 */
export function machineEnv(toml: FlyToml, machineId = REHEARSAL_MACHINE_ID): Record<string, string> {
  const region = toml.primary_region ?? 'ams';
  const env: Record<string, string> = {
    FLY_MACHINE_ID: machineId,
    FLY_ALLOC_ID: machineId,
    FLY_REGION: region,
    FLY_APP_NAME: toml.app ?? 'replaycast-example',
    FLY_PRIVATE_IP: 'fdaa:0:1:a7b:1::2',
    FLY_PROCESS_GROUP: 'app',
    FLY_VM_MEMORY_MB: '512',
    FLY_IMAGE_REF: `${toml.app ?? 'replaycast-example'}:deployment-rehearsal`,
    PRIMARY_REGION: region,
  };
  for (const [name, value] of Object.entries(toml.env ?? {})) env[name] = String(value);
  return env;
}
