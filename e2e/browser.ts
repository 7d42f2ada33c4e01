import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/** Env var naming the Chromium binary to drive; wins over every default. */
export const CHROMIUM_ENV = 'REPLAYCAST_E2E_CHROMIUM';

/** Debian's package; the fallback when Playwright's own browser was never downloaded. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * The Chromium to launch: the env override, else Playwright's own build when installed, else the
 * system package. Nothing is ever downloaded. Undefined leaves the choice to Playwright, whose own
 * error then says what is missing.
 */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env[CHROMIUM_ENV];
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`${CHROMIUM_ENV}=${override}: no such file`);
    return override;
  }
  const bundled = chromium.executablePath();
  if (existsSync(bundled)) return bundled;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  return undefined;
}

/**
 * Flags for a quiet, deterministic headless browser: no sandbox (CI containers run as root), no GPU,
 * no background updates or sync traffic, a synthetic camera and microphone (it beeps) granted
 * without a prompt, and sound allowed to start without a click (pages still start muted: the sound
 * tests click "Unmute" like a viewer would).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];
