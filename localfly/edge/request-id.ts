import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

/** Random bytes drawn in bulk: ulid's default source makes one crypto call per character. */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** A fraction in [0, 1) from the pool; 256 is a multiple of ulid's 32-letter alphabet, so no bias. */
function pooledRandom(): number {
  if (offset >= POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  return pool[offset++]! / 256;
}

/** Fly's `fly-request-id`: `<26-char ULID>-<edge region>`. */
export function newRequestId(region: string): string {
  return `${ulid(undefined, pooledRandom)}-${region}`;
}
