import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from './files.ts';
import type { TestGroup } from './groups.ts';

/**
 * Keeps `import.meta.url`, `.dirname` and `.filename` meaning the source file, as under tsx: code finds its fixtures
 * (demo media, fly.toml) beside itself, and a bundle would otherwise give every module the bundle's own location.
 */
const sourceLocation: Plugin = {
  name: 'source-location',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

/**
 * TypeBox 1.x is ~700 small ES modules, and the type provider imports all of them: loading them took each test
 * process about half a CPU-second, so they go into the bundle. Other packages stay imports, resolved from the
 * repository's node_modules as in production (several are CommonJS or find files of their own at run time).
 */
const INLINED_PACKAGES = /^(typebox|@fastify\/type-provider-typebox)(\/|$)/;
const packagesExternal: Plugin = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      INLINED_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

/** A group's entry: it imports the group's test files in order, so their tests run one after another. */
const GROUP_PREFIX = 'test-group:';
function groupEntries(groups: readonly TestGroup[]): Plugin {
  const byName = new Map(groups.map((g) => [g.name, g]));
  return {
    name: 'group-entries',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${GROUP_PREFIX}`) }, (args) => ({
        path: args.path.slice(GROUP_PREFIX.length),
        namespace: 'test-group',
      }));
      b.onLoad({ filter: /.*/, namespace: 'test-group' }, (args) => ({
        contents: (byName.get(args.path)?.files ?? [])
          .map((file) => `import ${JSON.stringify(`./${file}`)};`)
          .join('\n'),
        resolveDir: REPO_ROOT,
        loader: 'js',
      }));
    },
  };
}

const REPORTER = 'test/tiers/timings-reporter.ts';

/**
 * Bundles each group of test files, with our own code, into `outDir` as `<group name>.mjs`, modules shared by
 * several groups in chunks of their own, and the timings reporter beside them. Returns the bundled entry files in
 * the order given, and the reporter.
 */
export async function bundleTests(
  groups: readonly TestGroup[],
  outDir: string,
): Promise<{ groups: string[]; reporter: string }> {
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [
      ...groups.map((g) => ({ in: `${GROUP_PREFIX}${g.name}`, out: g.name })),
      { in: REPORTER, out: 'timings-reporter' },
    ],
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [groupEntries(groups), sourceLocation, packagesExternal],
  });
  return { groups: groups.map((g) => join(outDir, `${g.name}.mjs`)), reporter: join(outDir, 'timings-reporter.mjs') };
}
