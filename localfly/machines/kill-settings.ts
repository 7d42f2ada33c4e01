/** The signals Fly accepts as `kill_signal` in fly.toml. */
export const KILL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGKILL', 'SIGSTOP'] as const;
/** Fly caps `kill_timeout` at 300 s. */
export const MAX_KILL_TIMEOUT_MS = 300_000;

/** How Fly stops a Machine of the app: fly.toml's `kill_signal` and `kill_timeout`, when it gives them. */
export interface KillSettings {
  killSignal?: NodeJS.Signals;
  killTimeoutMs?: number;
}

/** `kill_timeout`: whole seconds, or a duration string such as "15s", "500ms" or "1m". */
function timeoutMs(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value * 1000;
  const m = typeof value === 'string' ? /^(\d+)(ms|s|m)$/.exec(value.trim()) : null;
  if (m === null) throw new Error('kill_timeout must be whole seconds or a duration like "15s"');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

/** Reads the kill settings of a parsed fly.toml; throws with a short reason when one is unusable. */
export function killSettings(flyToml: unknown): KillSettings {
  const toml = (flyToml ?? {}) as { kill_signal?: unknown; kill_timeout?: unknown };
  const out: KillSettings = {};
  if (toml.kill_signal !== undefined) {
    if (!(KILL_SIGNALS as readonly unknown[]).includes(toml.kill_signal))
      throw new Error(`kill_signal must be one of ${KILL_SIGNALS.join(', ')}`);
    out.killSignal = toml.kill_signal as NodeJS.Signals;
  }
  if (toml.kill_timeout !== undefined) {
    out.killTimeoutMs = Math.min(timeoutMs(toml.kill_timeout), MAX_KILL_TIMEOUT_MS);
  }
  return out;
}
