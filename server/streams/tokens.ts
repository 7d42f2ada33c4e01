import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: unguessable, and safe in a query string. */
export function newPublishToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only the hash is kept, so a heap dump or log line cannot leak a usable token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Constant-time comparison of a presented token against the stored hash. */
export function tokenMatches(presented: unknown, storedHash: Buffer): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 256) return false;
  return timingSafeEqual(hashToken(presented), storedHash);
}
