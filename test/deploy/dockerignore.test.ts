import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isIgnored, parseDockerignore } from './dockerignore.ts';

test('dockerignore patterns match as Docker matches them', () => {
  const rows: [string, string, boolean][] = [
    // A bare name matches at the root only (unlike .gitignore), and everything under it.
    ['node_modules', 'node_modules', true],
    ['node_modules', 'node_modules/fastify/package.json', true],
    ['node_modules', 'client/node_modules/x.js', false],
    ['**/node_modules', 'client/node_modules/x.js', true],
    ['**/node_modules', 'node_modules/x.js', true],
    ['/dist', 'dist/server/main.js', true],
    ['dist/', 'dist/server/main.js', true],
    ['./dist', 'dist', true],
    ['dist', 'distribution/a.js', false],
    // * and ? stay within one segment.
    ['*.log', 'npm-debug.log', true],
    ['*.log', 'logs/a.log', false],
    ['**/*.log', 'logs/a.log', true],
    ['server/*.ts', 'server/app.ts', true],
    ['server/*.ts', 'server/routing/plugin.ts', false],
    ['**/*.test.ts', 'server/routing/decide.test.ts', true],
    ['**/*.test.ts', 'decide.test.ts', true],
    ['**/*.test.ts', 'server/routing/decide.ts', false],
    ['fil?.txt', 'file.txt', true],
    ['fil?.txt', 'fil/.txt', false],
    ['.env*', '.env.local', true],
    ['[a-c].txt', 'b.txt', true],
    // Classes go to Go's regexp as written: `^` negates, `!` is just a member (moby's compile()).
    ['[^a-c].txt', 'b.txt', false],
    ['[^a-c].txt', 'd.txt', true],
    ['[!a-c].txt', 'b.txt', true],
    ['[!a-c].txt', '!.txt', true],
    ['[!a-c].txt', 'd.txt', false],
    // Case-sensitive, as on Linux.
    ['README.md', 'readme.md', false],
    // Dots are literal.
    ['a.b', 'axb', false],
    ['e2e/**', 'e2e/specs/a.spec.ts', true],
    ['e2e/**', 'e2e', false],
    ['test', 'test/deploy/fly-toml.ts', true],
    ['test', 'tests.ts', false],
  ];
  for (const [pattern, path, ignored] of rows) {
    assert.equal(isIgnored(parseDockerignore(pattern), path), ignored, `${pattern} vs ${path}`);
  }
});

test('comments, blank lines, re-includes and last-match-wins', () => {
  const rules = parseDockerignore(
    ['# docs', '', '*.md', '!README.md', '  dist  ', 'README.md', '!dist/keep.txt'].join('\n'),
  );
  assert.equal(rules.hasExceptions, true);
  assert.equal(isIgnored(rules, '# docs'), false, 'a comment is no pattern');
  assert.equal(isIgnored(rules, 'CHANGES.md'), true);
  assert.equal(isIgnored(rules, 'README.md'), true, 'the later README.md line wins over !README.md');
  assert.equal(isIgnored(rules, 'dist/other.txt'), true);
  assert.equal(isIgnored(rules, 'dist/keep.txt'), false);
  assert.equal(isIgnored(rules, 'package.json'), false);
  assert.equal(isIgnored(parseDockerignore('*.md\n!README.md'), 'README.md'), false);
  assert.equal(isIgnored(parseDockerignore('#*.md'), 'a.md'), false);
  assert.equal(parseDockerignore('*.md\n!README.md').hasExceptions, true);
  assert.equal(parseDockerignore('*.md\n# !README.md').hasExceptions, false);
  const empty = parseDockerignore('\r\n  \r\n# x\r\n');
  assert.equal(empty.hasExceptions, false);
  for (const path of ['x', '# x', 'a/b']) assert.equal(isIgnored(empty, path), false, path);
  assert.equal(isIgnored(parseDockerignore('*.md\r\n!README.md'), 'README.md'), false, 'CRLF lines');
  assert.throws(() => parseDockerignore('[abc'), /bad pattern "\[abc": .*Unterminated/);
  assert.throws(() => parseDockerignore('x\n!y[abc'), /bad pattern "!y\[abc"/);
});
