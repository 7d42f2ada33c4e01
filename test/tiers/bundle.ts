import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { REPO_ROOT } from './files.ts';

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

/**
 * Bundles each test file with our own code into `outDir`, mirroring the tree (`x.test.ts` becomes `x.test.mjs`),
 * modules shared by several tests in chunks of their own. Returns the bundled entry files in the order given.
 */
export async function bundleTests(files: string[], outDir: string): Promise<string[]> {
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: files,
    outbase: REPO_ROOT,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [sourceLocation, packagesExternal],
  });
  return files.map((file) => join(outDir, file.replace(/\.ts$/, '.mjs')));
}
