import { execFileSync, spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { contextFiles } from './context.ts';
import {
  aptInstalls,
  copyArgs,
  type Dockerfile,
  envPairs,
  execForm,
  type Instruction,
  type StageConfig,
  stageConfig,
} from './dockerfile.ts';
import type { Dockerignore } from './dockerignore.ts';

/**
 * Builds a Dockerfile without a Docker engine: each stage's filesystem is a folder (`rootfs`) that
 * starts empty; COPY copies from the `.dockerignore`d context or from an earlier stage, RUN runs on
 * this host with the stage's ENV in its WORKDIR. The base image's own files (node, npm, a shell)
 * come from the host, so this proves what the Dockerfile builds and copies, not the base image.
 */

export interface ImageBuildOptions {
  contextDir: string;
  dockerfile: Dockerfile;
  ignore: Dockerignore;
  /** An empty folder; stage i is built in `<workDir>/stage-<i>`. */
  workDir: string;
  /** Snapshots of RUN layers whose inputs are known files (the dependency install), reused across runs. */
  layerCacheDir: string;
  /** Environment for RUN steps (PATH must find node and npm). */
  env: Record<string, string>;
  runTimeoutMs: number;
}

export interface ImageConfig extends StageConfig {
  /** The final stage's filesystem. */
  rootfs: string;
  cmd: string[];
  /** Debian packages the final stage installs with apt-get; the rehearsal uses the host's copies. */
  aptPackages: string[];
}

export interface StepReport {
  stage: number;
  instruction: string;
  ms: number;
  cached?: boolean;
}

interface StageState {
  name: string | null;
  rootfs: string;
  workdir: string;
  env: Record<string, string>;
}

const GLOB = /[*?[\]]/;

/** Host path of a container path inside a stage's filesystem. */
function inRootfs(rootfs: string, containerPath: string): string {
  const clean = posix.normalize(`/${containerPath}`);
  return join(rootfs, ...clean.split('/').filter(Boolean));
}

/**
 * Copies a file or a whole tree, keeping modes and symlinks. GNU cp is several times faster than
 * fs.cpSync on node_modules' many small files; fs.cpSync is the fallback where cp is not GNU's.
 * `link` hard-links instead, for copies between stages that nothing writes to afterwards.
 */
function copyTree(from: string, to: string, link = false): void {
  mkdirSync(dirname(to), { recursive: true });
  if (!lstatSync(from).isDirectory()) {
    cpSync(from, to, { verbatimSymlinks: true, force: true });
    return;
  }
  try {
    execFileSync('cp', [link ? '-al' : '-a', '-T', from, to], { stdio: 'pipe' });
  } catch {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true, force: true });
  }
}

function run(argv: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${code}`}); output ends:\n${output}`));
    });
  });
}

export async function buildImage(
  opts: ImageBuildOptions,
  report: (step: StepReport) => void = () => {},
): Promise<ImageConfig> {
  const files = contextFiles(opts.contextDir, opts.ignore);
  const stages: StageState[] = [];
  const usedKeys = new Set<string>();
  mkdirSync(opts.layerCacheDir, { recursive: true });

  let aptPackages: string[] = [];
  for (const [index, stage] of opts.dockerfile.stages.entries()) {
    aptPackages = [];
    const state: StageState = { name: stage.name, rootfs: join(opts.workDir, `stage-${index}`), workdir: '/', env: {} };
    mkdirSync(state.rootfs, { recursive: true });
    stages.push(state);
    // Layer key: the base image and every instruction so far, plus the content of the files copied.
    const key: Hash = createHash('sha256').update(`${process.platform}-${process.arch}\n${stage.image}`);
    let keyKnown = true;

    for (const ins of stage.instructions) {
      const started = Date.now();
      const where = `Dockerfile line ${ins.line}`;
      key.update(`\n${ins.keyword} ${ins.args}`);
      switch (ins.keyword) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, ins.args);
          mkdirSync(inRootfs(state.rootfs, state.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, envPairs(ins));
          break;
        // Container settings, read by stageConfig(); the build itself runs as this user.
        case 'ARG':
        case 'LABEL':
        case 'USER':
        case 'EXPOSE':
        case 'CMD':
          break;
        case 'COPY':
          keyKnown = copy(ins, state, stages, files, opts.contextDir, key) && keyKnown;
          break;
        case 'RUN': {
          const apt = aptInstalls(ins.args);
          if (apt !== null) {
            // System packages of the Debian base: the host must have them (the rehearsal runs on Debian).
            requireHostPackages(apt, where);
            aptPackages.push(...apt);
            report({ stage: index, instruction: `RUN ${ins.args} (host packages)`, ms: Date.now() - started });
            break;
          }
          const cacheKey = keyKnown ? key.copy().digest('hex').slice(0, 32) : null;
          if (cacheKey !== null) usedKeys.add(cacheKey);
          const cached = await runStep(ins, state, opts, cacheKey);
          report({ stage: index, instruction: `RUN ${ins.args}`, ms: Date.now() - started, cached });
          break;
        }
        default:
          throw new Error(`${where}: the rehearsal does not support ${ins.keyword}`);
      }
      if (ins.keyword === 'COPY') report({ stage: index, instruction: `COPY ${ins.args}`, ms: Date.now() - started });
    }
  }

  // Snapshots this Dockerfile no longer produces (the lockfile changed) only take disk space.
  for (const entry of readdirSync(opts.layerCacheDir)) {
    if (!usedKeys.has(entry) && !entry.includes('.partial-'))
      rmSync(join(opts.layerCacheDir, entry), { recursive: true, force: true });
  }

  const config = stageConfig(opts.dockerfile.stages.at(-1)!);
  if (config.cmd === null) throw new Error('Dockerfile: the final stage has no CMD');
  return { ...config, cmd: config.cmd, rootfs: stages.at(-1)!.rootfs, aptPackages };
}

/**
 * A file the context listing named may be gone a moment later in a working tree others edit:
 * skip it, as if the context had been read after it went.
 */
function copyContextFile(from: string, to: string): void {
  try {
    copyTree(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Runs one COPY; returns whether its inputs are fully known (explicit context files), so later layers can be cached. */
function copy(
  ins: Instruction,
  state: StageState,
  stages: StageState[],
  files: string[],
  contextDir: string,
  key: Hash,
): boolean {
  const { from, sources, dest } = copyArgs(ins);
  const destPath = posix.resolve(state.workdir, dest);
  const intoDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
  if (from !== null) {
    const source = stages.find((s, i) => s.name === from || String(i) === from);
    if (source === undefined) throw new Error(`Dockerfile line ${ins.line}: no stage ${from}`);
    for (const src of sources) {
      const srcPath = inRootfs(source.rootfs, posix.resolve(source.workdir, src));
      if (!existsSync(srcPath)) throw new Error(`Dockerfile line ${ins.line}: ${src} does not exist in stage ${from}`);
      const target = intoDir && !statSync(srcPath).isDirectory() ? posix.join(destPath, posix.basename(src)) : destPath;
      // Hard links: the runtime stage only reads what it takes from the build stage.
      copyTree(srcPath, inRootfs(state.rootfs, target), true);
    }
    return false;
  }

  let explicit = true;
  for (const raw of sources) {
    if (GLOB.test(raw))
      throw new Error(`Dockerfile line ${ins.line}: the rehearsal does not expand COPY globs (${raw})`);
    const src = posix.normalize(raw).replace(/^\/+|\/+$/g, '');
    if (files.includes(src)) {
      const target = intoDir ? posix.join(destPath, posix.basename(src)) : destPath;
      copyContextFile(join(contextDir, src), inRootfs(state.rootfs, target));
      key.update(`\n${src}\0`).update(readFileSync(join(contextDir, src)));
      continue;
    }
    // A folder (or "." for the whole context): its contents go into the destination folder.
    explicit = false;
    const prefix = src === '.' || src === '' ? '' : `${src}/`;
    const inside = files.filter((f) => f.startsWith(prefix));
    if (inside.length === 0)
      throw new Error(
        `Dockerfile line ${ins.line}: ${raw} is not in the build context (missing, or excluded by .dockerignore)`,
      );
    for (const file of inside)
      copyContextFile(join(contextDir, file), inRootfs(state.rootfs, posix.join(destPath, file.slice(prefix.length))));
  }
  return explicit;
}

function requireHostPackages(packages: readonly string[], where: string): void {
  for (const name of packages) {
    let status = '';
    try {
      status = execFileSync('dpkg', ['-s', name], { encoding: 'utf8', stdio: 'pipe' });
    } catch {}
    if (!/^Status: install ok installed$/m.test(status))
      throw new Error(`${where} installs ${name} with apt; this host lacks it: apt-get install ${name}`);
  }
}

/** Runs one RUN step, or restores its snapshot; returns whether it came from the cache. */
async function runStep(
  ins: Instruction,
  state: StageState,
  opts: ImageBuildOptions,
  cacheKey: string | null,
): Promise<boolean> {
  const snapshot = cacheKey === null ? null : join(opts.layerCacheDir, cacheKey);
  if (snapshot !== null && existsSync(join(snapshot, '.hit'))) {
    rmSync(state.rootfs, { recursive: true, force: true });
    copyTree(join(snapshot, 'rootfs'), state.rootfs);
    return true;
  }
  const argv = execForm(ins.args) ?? ['/bin/sh', '-c', ins.args];
  await run(argv, inRootfs(state.rootfs, state.workdir), { ...opts.env, ...state.env }, opts.runTimeoutMs);
  if (snapshot === null) return false;
  // Written beside its final name and renamed into place, so a concurrent run never reads half a snapshot.
  const partial = `${snapshot}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  copyTree(state.rootfs, join(partial, 'rootfs'));
  mkdirSync(join(partial, '.hit'));
  try {
    renameSync(partial, snapshot);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
  return false;
}
