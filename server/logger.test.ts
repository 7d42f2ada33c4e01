import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, logCapture, SELF_ID } from '../test/support/app.ts';
import { redactUrl } from './logger.ts';

const rows: Array<[string, string]> = [
  ['/ws/publish/abc?token=s3cret', '/ws/publish/abc?token=[redacted]'],
  [`/ws/publish/abc?instance=${SELF_ID}&token=s3cret&x=1`, `/ws/publish/abc?instance=${SELF_ID}&token=[redacted]&x=1`],
  ['/ws/publish/abc?TOKEN=s3cret', '/ws/publish/abc?TOKEN=[redacted]'],
  ['/api/streams?mytoken=keep', '/api/streams?mytoken=keep'],
  ['/healthz', '/healthz'],
];
for (const [url, expected] of rows) {
  test(`redactUrl(${url})`, () => assert.equal(redactUrl(url), expected));
}

test('request logs never carry the publish token, and every line names machine and region', async (t) => {
  const capture = logCapture();
  const app = await build(t, { server: { logLevel: 'info' } }, { logStream: capture });
  await app.inject({ url: `/ws/publish/nope?instance=${SELF_ID}&token=s3cret-token-value` });
  const incoming = capture.lines.find((l) => l.msg === 'incoming request') as { req: { url: string } } | undefined;
  assert.ok(incoming, 'the request was logged');
  assert.equal(incoming.req.url, `/ws/publish/nope?instance=${SELF_ID}&token=[redacted]`);
  assert.ok(!JSON.stringify(capture.lines).includes('s3cret-token-value'));
  for (const line of capture.lines) {
    assert.equal(line.machine, SELF_ID);
    assert.equal(line.region, 'ams');
  }
});
