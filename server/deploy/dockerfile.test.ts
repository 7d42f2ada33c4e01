import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyArgs, envPairs, execForm, instructions, parseDockerfile, stageConfig } from './dockerfile.ts';

test('instructions: comments dropped, continuations joined, keywords upper-cased, lines kept', () => {
  const text = ['# syntax=docker/dockerfile:1', '', 'from node:24 as build', 'RUN npm ci \\', '  # a comment inside', '  && npm run build', 'cmd ["node", "x.js"]', ''].join('\n');
  assert.deepEqual(instructions(text), [
    { keyword: 'FROM', args: 'node:24 as build', line: 3 },
    { keyword: 'RUN', args: 'npm ci  && npm run build', line: 4 },
    { keyword: 'CMD', args: '["node", "x.js"]', line: 7 },
  ]);
  assert.throws(() => instructions('RUN a \\'), /continuation/);
  assert.throws(() => instructions('# escape=`\nFROM x'), /escape/);
});

test('parseDockerfile: global ARGs in FROM, named stages, instructions per stage', () => {
  const file = parseDockerfile(['ARG NODE_VERSION=24.1.0', 'ARG FLAVOUR="slim"', 'FROM node:${NODE_VERSION}-$FLAVOUR AS build', 'WORKDIR /app', 'FROM --platform=linux/amd64 node:${NODE_VERSION}-slim', 'USER node'].join('\n'));
  assert.deepEqual(file.globalArgs, { NODE_VERSION: '24.1.0', FLAVOUR: 'slim' });
  assert.deepEqual(file.stages.map((s) => [s.image, s.name, s.instructions.map((i) => i.keyword)]), [
    ['node:24.1.0-slim', 'build', ['WORKDIR']],
    ['node:24.1.0-slim', null, ['USER']],
  ]);
  assert.throws(() => parseDockerfile('FROM node:${MISSING}'), /not a declared ARG/);
  assert.throws(() => parseDockerfile('RUN x'), /only ARG/);
  assert.throws(() => parseDockerfile('# nothing'), /no FROM/);
});

test('execForm, copyArgs and envPairs', () => {
  assert.deepEqual(execForm('["node", "dist/server/main.js"]'), ['node', 'dist/server/main.js']);
  assert.equal(execForm('node dist/server/main.js'), null);
  assert.throws(() => execForm('["node", 1]'));

  assert.deepEqual(copyArgs('package.json package-lock.json ./'), { from: null, sources: ['package.json', 'package-lock.json'], dest: './' });
  assert.deepEqual(copyArgs('--from=build --chown=node:node /app/dist ./dist'), { from: 'build', sources: ['/app/dist'], dest: './dist' });
  assert.deepEqual(copyArgs('["a b", "c/"]'), { from: null, sources: ['a b'], dest: 'c/' });
  assert.throws(() => copyArgs('--exclude=x a b'), /unsupported flag/);
  assert.throws(() => copyArgs('onlyone'), /source and a destination/);

  assert.deepEqual(envPairs('NODE_ENV=production'), { NODE_ENV: 'production' });
  assert.deepEqual(envPairs('A=1 B="two words" C=\\x'), { A: '1', B: 'two words', C: '\\x' });
  assert.deepEqual(envPairs('NODE_ENV production'), { NODE_ENV: 'production' });
  assert.throws(() => envPairs('=1'), /cannot read/);
});

test('stageConfig: workdir, env, user, exposed ports and exec-form CMD of a stage', () => {
  const file = parseDockerfile(['FROM node:24.1.0-slim', 'ENV A=1', 'WORKDIR /app', 'WORKDIR sub', 'ENV NODE_ENV=production', 'USER node', 'EXPOSE 8080/tcp 9091', 'CMD ["node", "main.js"]'].join('\n'));
  assert.deepEqual(stageConfig(file.stages[0]!), { workdir: '/app/sub', env: { A: '1', NODE_ENV: 'production' }, user: 'node', expose: [8080, 9091], cmd: ['node', 'main.js'] });
  assert.equal(stageConfig(parseDockerfile('FROM x').stages[0]!).cmd, null);
  assert.throws(() => stageConfig(parseDockerfile('FROM x\nCMD node main.js').stages[0]!), /exec form/);
});
