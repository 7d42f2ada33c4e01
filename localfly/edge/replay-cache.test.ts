import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'smol-toml';
import { LocalflyError, readReplayCacheRules } from '../cluster.ts';
import {
  cacheable,
  MIN_TTL_SECONDS,
  ReplayCache,
  type ReplayCacheRule,
  replayCacheRules,
  withCacheInvalidation,
} from './replay-cache.ts';
import type { ReplayDirective } from './replay-header.ts';

const RULE: ReplayCacheRule = { pathPrefix: '/', ttlSeconds: 300, type: 'cookie', name: 'fly-machine-id' };
const PLAIN: ReplayDirective = { elsewhere: false, preferInstance: 'd0d0d0d0d0d0d0' };
const A = 'a0a0a0a0a0a0a0';
const D = 'd0d0d0d0d0d0d0';

test("the repository's fly.toml gives one cookie rule", () => {
  const toml = parse(readFileSync(new URL('../../fly.toml', import.meta.url), 'utf8'));
  assert.deepEqual(replayCacheRules(toml), [RULE]);
});

test('an unusable fly.toml file is a LocalflyError naming it', () => {
  assert.deepEqual(readReplayCacheRules(new URL('../../fly.toml', import.meta.url).pathname), [RULE]);
  for (const path of ['no-such-fly.toml', new URL('../../package.json', import.meta.url).pathname]) {
    assert.throws(
      () => readReplayCacheRules(path),
      (err: unknown) => err instanceof LocalflyError && err.message.startsWith(`cannot use ${path}: `),
    );
  }
});

test('a fly.toml without replay_cache gives no rules', () => {
  assert.deepEqual(replayCacheRules(parse('[http_service]\ninternal_port = 8080\n')), []);
  assert.deepEqual(replayCacheRules({}), []);
});

const badRules: Array<[string, Record<string, unknown>, RegExp]> = [
  ['ttl under the minimum', { ...toml(RULE), ttl_seconds: MIN_TTL_SECONDS - 1 }, /ttl_seconds/],
  ['ttl not whole', { ...toml(RULE), ttl_seconds: 10.5 }, /ttl_seconds/],
  ['unknown type', { ...toml(RULE), type: 'query' }, /type/],
  ['no path_prefix', { ...toml(RULE), path_prefix: undefined }, /path_prefix/],
  ['relative path_prefix', { ...toml(RULE), path_prefix: 'api' }, /path_prefix/],
  ['name with a space', { ...toml(RULE), name: 'fly machine' }, /name/],
];
function toml(rule: ReplayCacheRule): Record<string, unknown> {
  return { path_prefix: rule.pathPrefix, ttl_seconds: rule.ttlSeconds, type: rule.type, name: rule.name };
}
for (const [name, raw, error] of badRules) {
  test(`a replay_cache rule with ${name} is refused`, () => {
    assert.throws(() => replayCacheRules({ http_service: { http_options: { replay_cache: [raw] } } }), error);
  });
}
test('the minimum TTL is accepted', () => {
  const raw = { ...toml(RULE), ttl_seconds: MIN_TTL_SECONDS };
  assert.equal(replayCacheRules({ http_service: { http_options: { replay_cache: [raw] } } })[0]!.ttlSeconds, 10);
});

const directives: Array<[string, ReplayDirective, boolean]> = [
  ['prefer_instance', PLAIN, true],
  ['instance', { elsewhere: false, instance: D }, true],
  ['region', { elsewhere: false, regions: ['dfw'] }, true],
  ['with a timeout', { ...PLAIN, timeoutMs: 5000 }, false],
  ['with a fallback', { ...PLAIN, fallback: 'prefer_self' }, false],
  ['with state', { ...PLAIN, state: 'x' }, false],
  ['with a transform', { ...PLAIN, transform: { deleteHeaders: [], setHeaders: [] } }, false],
];
for (const [name, directive, expected] of directives) {
  test(`a replay ${name} is ${expected ? '' : 'not '}cacheable`, () => {
    assert.equal(cacheable(directive), expected);
  });
}

const invalidations: Array<[string, Record<string, string>, boolean | undefined]> = [
  ['fly-replay-cache: invalidate', { 'fly-replay-cache': 'invalidate' }, true],
  ['any case and spaces', { 'fly-replay-cache': ' Invalidate ' }, true],
  ['a path pattern (not emulated)', { 'fly-replay-cache': '/some/path/*' }, undefined],
  ['no header', {}, undefined],
];
for (const [name, headers, expected] of invalidations) {
  test(`invalidation: ${name}`, () => {
    const parsed = withCacheInvalidation({ ok: true, directive: PLAIN }, headers);
    assert.ok(parsed.ok);
    assert.equal(parsed.directive.invalidateCache, expected);
  });
}

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const cookie = (value: string) => ({ cookie: `theme=dark; fly-machine-id=${value}; other=1` });

test('a cacheable replay is remembered for ttl_seconds, to the millisecond', () => {
  const c = clock();
  const cache = new ReplayCache([RULE], c.now);
  const first = cache.lookup('/watch/x', cookie(D));
  assert.deepEqual([first.target, first.covered], [undefined, true]);
  first.remember(PLAIN, D);
  assert.equal(cache.lookup('/api/whoami?x=1', cookie(D)).target, D);
  c.advance(RULE.ttlSeconds * 1000 - 1);
  assert.equal(cache.lookup('/', cookie(D)).target, D);
  c.advance(1);
  assert.equal(cache.lookup('/', cookie(D)).target, undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped');
});

test('a replay with timeout or fallback is not remembered', () => {
  const cache = new ReplayCache([RULE]);
  cache.lookup('/', cookie(D)).remember({ ...PLAIN, timeoutMs: 5000, fallback: 'prefer_self' }, D);
  assert.equal(cache.lookup('/', cookie(D)).target, undefined);
  assert.equal(cache.size, 0);
});

test('invalidate drops the entry of that cookie value only', () => {
  const cache = new ReplayCache([RULE]);
  cache.lookup('/', cookie(D)).remember(PLAIN, D);
  cache.lookup('/', cookie(A)).remember(PLAIN, A);
  cache.lookup('/', cookie(D)).invalidate();
  assert.equal(cache.lookup('/', cookie(D)).target, undefined);
  assert.equal(cache.lookup('/', cookie(A)).target, A);
});

test('requests outside the prefix, without the cookie, or naming their own target get no hit', () => {
  const cache = new ReplayCache([{ ...RULE, pathPrefix: '/watch/' }]);
  cache.lookup('/watch/x', cookie(D)).remember(PLAIN, D);
  const outside = cache.lookup('/api/whoami', cookie(D));
  assert.deepEqual([outside.target, outside.covered], [undefined, false]);
  const noCookie = cache.lookup('/watch/x', {});
  assert.deepEqual([noCookie.target, noCookie.covered], [undefined, true]);
  const forced = cache.lookup('/watch/y', cookie(D), false);
  assert.deepEqual([forced.target, forced.covered], [undefined, true]);
  assert.equal(cache.lookup('/watch/y', cookie(D)).target, D);
});

test('a header rule keys on the header value', () => {
  const cache = new ReplayCache([{ pathPrefix: '/', ttlSeconds: 60, type: 'header', name: 'X-Tenant' }]);
  cache.lookup('/', { 'x-tenant': 'acme' }).remember(PLAIN, D);
  assert.equal(cache.lookup('/', { 'x-tenant': 'acme' }).target, D);
  assert.equal(cache.lookup('/', { 'x-tenant': 'other' }).target, undefined);
});

test('the cache holds at most its bound of entries, dropping the oldest', () => {
  const cache = new ReplayCache([RULE], Date.now, 2);
  for (const value of ['one', 'two', 'three']) cache.lookup('/', cookie(value)).remember(PLAIN, D);
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup('/', cookie('one')).target, undefined);
  assert.equal(cache.lookup('/', cookie('three')).target, D);
});
