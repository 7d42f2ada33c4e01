import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aptInstalls, copyArgs, envPairs, execForm, instructions, parseDockerfile, stageConfig } from './dockerfile.ts';

test('instructions: comments dropped, continuations joined, keywords upper-cased, lines kept', () => {
  const text = [
    '# syntax=docker/dockerfile:1',
    '',
    'from node:24 as build',
    'RUN npm ci \\',
    '  # a comment inside',
    '  && npm run build',
    'cmd ["node", "x.js"]',
    '',
  ].join('\n');
  assert.deepEqual(
    instructions(text).map(({ keyword, args, line }) => ({ keyword, args, line })),
    [
      { keyword: 'FROM', args: 'node:24 as build', line: 3 },
      { keyword: 'RUN', args: 'npm ci && npm run build', line: 4 },
      { keyword: 'CMD', args: '["node", "x.js"]', line: 7 },
    ],
  );
  assert.throws(() => instructions('RUN a \\'), /line 1 ends with a continuation/);
  assert.throws(() => instructions('FROM x\nRUN a \\\n# only a comment follows\n'), /line 2 ends with a continuation/);
  // The escape directive is honoured: ` continues the line, and \ is then an ordinary character.
  assert.deepEqual(
    instructions('# escape=`\nFROM x\nRUN a `\n  b\nRUN c:\\d').map((i) => i.args),
    ['x', 'a b', 'c:\\d'],
  );
  // Quoted text keeps its spaces; only the ends of continued lines are trimmed.
  assert.equal(instructions('RUN echo "a  b" \\\n   && true')[0]!.args, 'echo "a  b" && true');
});

test('parseDockerfile: global ARGs in FROM, named stages, instructions per stage', () => {
  const file = parseDockerfile(
    [
      'ARG NODE_VERSION=24.1.0',
      'ARG FLAVOUR="slim"',
      'FROM node:${NODE_VERSION}-$FLAVOUR AS build',
      'WORKDIR /app',
      'FROM --platform=linux/amd64 node:${NODE_VERSION}-slim',
      'USER node',
    ].join('\n'),
  );
  assert.deepEqual(file.globalArgs, { NODE_VERSION: '24.1.0', FLAVOUR: 'slim' });
  assert.deepEqual(
    file.stages.map((s) => [s.image, s.name, s.instructions.map((i) => i.keyword)]),
    [
      ['node:24.1.0-slim', 'build', ['WORKDIR']],
      ['node:24.1.0-slim', null, ['USER']],
    ],
  );
  assert.throws(() => parseDockerfile('FROM node:${MISSING}'), /\$\{MISSING\} is not a declared ARG/);
  assert.throws(() => parseDockerfile('FROM node:$MISSING'), /\$\{MISSING\} is not a declared ARG/);
  assert.throws(
    () => parseDockerfile('ARG V=1\nFROM a\nARG LATE=2\nFROM node:${LATE}'),
    /LATE\} is not a declared ARG/,
    'only ARGs before the first FROM count',
  );
  assert.throws(() => parseDockerfile('ARG V\nFROM node:${V}'), /ARG V needs a default/);
  assert.throws(() => parseDockerfile('RUN x'), /only ARG/);
  assert.throws(() => parseDockerfile('# nothing'), /no FROM/);
});

test('execForm, copyArgs and envPairs', () => {
  assert.deepEqual(execForm('["node", "dist/server/main.js"]'), ['node', 'dist/server/main.js']);
  assert.equal(execForm('node dist/server/main.js'), null);
  assert.throws(() => execForm('["node", 1]'));

  const one = (line: string) => instructions(line)[0]!;
  assert.deepEqual(copyArgs(one('COPY package.json package-lock.json ./')), {
    from: null,
    sources: ['package.json', 'package-lock.json'],
    dest: './',
  });
  assert.deepEqual(copyArgs(one('COPY --from=build --chown=node:node /app/dist ./dist')), {
    from: 'build',
    sources: ['/app/dist'],
    dest: './dist',
  });
  assert.deepEqual(copyArgs(one('COPY ["a b", "c/"]')), { from: null, sources: ['a b'], dest: 'c/' });
  assert.deepEqual(copyArgs(one('COPY --from=build ["a  b", "c/"]')), { from: 'build', sources: ['a  b'], dest: 'c/' });
  assert.throws(() => copyArgs(one('COPY --exclude=x a b')), /unsupported flag --exclude/);
  assert.throws(() => copyArgs(one('COPY onlyone')), /source and a destination/);
  assert.throws(() => copyArgs(one('ADD a b')), /not a COPY/);

  assert.deepEqual(envPairs(one('ENV NODE_ENV=production')), { NODE_ENV: 'production' });
  // Docker's word rules: outside quotes a backslash escapes the next character (\x is x, "\ " a space).
  assert.deepEqual(envPairs(one('ENV A=1 B="two words" C=\\x D="q\\"x" E=a\\ b')), {
    A: '1',
    B: 'two words',
    C: 'x',
    D: 'q"x',
    E: 'a b',
  });
  assert.deepEqual(envPairs(one('ENV NODE_ENV production')), { NODE_ENV: 'production' });
  assert.throws(() => envPairs(one('ENV =1')), /cannot read/);
  assert.throws(() => envPairs(one('ENV')), /cannot read/);
  assert.throws(() => envPairs(one('ENV A')), /cannot read/);
});

test('stageConfig: workdir, env, user, exposed ports and exec-form CMD of a stage', () => {
  const file = parseDockerfile(
    [
      'FROM node:24.1.0-slim',
      'ENV A=1',
      'WORKDIR /app',
      'WORKDIR sub',
      'ENV NODE_ENV=production',
      'USER node',
      'EXPOSE 8080/tcp 9091',
      'CMD ["node", "main.js"]',
    ].join('\n'),
  );
  assert.deepEqual(stageConfig(file.stages[0]!), {
    workdir: '/app/sub',
    env: { A: '1', NODE_ENV: 'production' },
    user: 'node',
    expose: [8080, 9091],
    cmd: ['node', 'main.js'],
  });
  assert.equal(stageConfig(parseDockerfile('FROM x').stages[0]!).cmd, null);
  assert.throws(() => stageConfig(parseDockerfile('FROM x\nCMD node main.js').stages[0]!), /exec form/);
});

test('aptInstalls: the Debian packages a RUN step installs, flags dropped', () => {
  const rows: Array<[string, string[] | null]> = [
    [
      'apt-get update && apt-get install -y --no-install-recommends nats-server && rm -rf /var/lib/apt/lists/*',
      ['nats-server'],
    ],
    ['apt-get install -y a b', ['a', 'b']],
    ['npm ci --no-audit', null],
    ['apt-get update', null],
  ];
  for (const [args, expected] of rows) assert.deepEqual(aptInstalls(args), expected, args);
});
