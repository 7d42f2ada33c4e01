// A node:test reporter that writes, as JSON, how long each test file's tests took (their top-level tests' durations
// summed, which in a group is the file's share of its process). The runner orders the next run's groups by it.
import { relative } from 'node:path';
import type { TestEvent } from 'node:test/reporters';

export default async function* timingsReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const timings: Record<string, number> = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (file === undefined || nesting !== 0) continue;
    const path = relative(process.cwd(), file);
    timings[path] = (timings[path] ?? 0) + details.duration_ms;
  }
  for (const path of Object.keys(timings)) timings[path] = Math.round(timings[path] ?? 0);
  yield `${JSON.stringify(timings, null, 1)}\n`;
}
