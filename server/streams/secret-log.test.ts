import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, logCapture } from '../../test/support/app.ts';

const NOTICE = /^STREAM_SECRET is not set/;

test('without STREAM_SECRET the log says once that streams cannot move: a warning on Fly, info off Fly; nothing with it', async (t) => {
  const rows = [
    { what: 'on Fly', machine: {}, secret: null, level: 40 },
    { what: 'off Fly', machine: { id: null, region: null, appName: null }, secret: null, level: 30 },
    { what: 'with a secret', machine: {}, secret: 'x'.repeat(32), level: null },
  ] as const;
  for (const row of rows) {
    const log = logCapture();
    const app = await build(
      t,
      { machine: row.machine, server: { logLevel: 'info' }, streams: { streamSecret: row.secret } },
      { logStream: log },
    );
    await app.ready();
    const notices = log.lines.filter((l) => NOTICE.test(String(l.msg)));
    if (row.level === null) assert.deepEqual(notices, [], row.what);
    else
      assert.deepEqual(
        notices.map((l) => l.level),
        [row.level],
        row.what,
      );
  }
});
