/** Display helpers; pure so they can be unit-tested in Node. */

/** `0:07`, `12:34`, `1:02:03`: the time since `startedAtMs`, never negative. */
export function formatUptime(startedAtMs: number, nowMs: number): string {
  const total = Math.max(0, Math.floor((nowMs - startedAtMs) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `850 kbit/s`, `1.2 Mbit/s`. */
export function formatBitrate(bitsPerSecond: number): string {
  if (!Number.isFinite(bitsPerSecond) || bitsPerSecond < 0) return '0 kbit/s';
  if (bitsPerSecond >= 1_000_000) return `${(bitsPerSecond / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round(bitsPerSecond / 1000)} kbit/s`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Machine ids are long; cards show them whole (they are the point of the demo) but monospaced. */
export function machineLabel(id: string | null): string {
  return id ?? 'local (not on Fly)';
}
