import { createHash } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A stream id (a ULID, as peers require) named by a label, always the same for the same label, so a test
 * can write `streamId('s1')` where it would have written `'s1'`.
 */
export function streamId(label: string): string {
  const hash = createHash('sha256').update(label).digest();
  let id = '01J0000000';
  for (let i = 0; i < 16; i++) id += CROCKFORD[hash[i]! & 31];
  return id;
}
