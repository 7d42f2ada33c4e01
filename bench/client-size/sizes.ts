/**
 * How big the client is as a browser downloads it: the benchmark (run.ts) prints these sizes, and
 * budget.test.ts holds the shipped JS to its budget on every unit run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';

/** Budget for the JS a page loads, gzip-compressed: a first visit on a slow mobile link stays quick. */
export const JS_BUDGET_GZIP_BYTES = 40 * 1024;

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLIENT_CONFIG = join(ROOT, 'client', 'vite.config.ts');

export interface Sizes {
  raw: number;
  gzip: number;
  brotli: number;
}

export function sizesOf(data: Buffer): Sizes {
  return {
    raw: data.byteLength,
    gzip: gzipSync(data, { level: 9 }).byteLength,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).byteLength,
  };
}

/** The summed sizes of the files in `dir` whose names end with `ext`, each compressed on its own. */
export async function measure(dir: string, ext: string): Promise<Sizes> {
  const total: Sizes = { raw: 0, gzip: 0, brotli: 0 };
  for (const name of await readdir(dir)) {
    if (!name.endsWith(ext)) continue;
    const s = sizesOf(await readFile(join(dir, name)));
    total.raw += s.raw;
    total.gzip += s.gzip;
    total.brotli += s.brotli;
  }
  return total;
}

/** Builds the client with its own Vite config; into `outDir` instead of dist/client when given. */
export async function buildClient(outDir?: string): Promise<void> {
  await build({
    configFile: CLIENT_CONFIG,
    logLevel: outDir === undefined ? 'warn' : 'silent',
    ...(outDir !== undefined && { build: { outDir, emptyOutDir: true } }),
  });
}
