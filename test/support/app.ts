import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../../server/app.ts';
import { type ConfigOverrides, testConfig } from '../../server/config.ts';

export const SELF_ID = '0123456789abcd';
export const OTHER_ID = 'fedcba98765432';

/** Collects an app's log lines (build with `{ logStream }` and `server: { logLevel: 'info' }`). */
export function logCapture(): { write(line: string): void; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
}

/** Builds the app for one test (logs silent, on "Fly" as SELF_ID in ams) and closes it afterwards. */
export async function build(
  t: TestContext,
  overrides: ConfigOverrides = {},
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const app = await buildApp(
    testConfig({
      ...overrides,
      machine: { id: SELF_ID, region: 'ams', appName: 'replaycast-test', ...overrides.machine },
    }),
    { prettyLogs: false, ...options },
  );
  t.after(() => app.close());
  return app;
}
