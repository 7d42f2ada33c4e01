import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** STREAM_SECRET must be at least this long: 32 characters of `openssl rand -hex 32` carry 128 bits. */
export const STREAM_SECRET_MIN_CHARS = 32;
/** A presented token longer than this is refused unread (a real one is 43 characters). */
export const PUBLISH_TOKEN_MAX_CHARS = 256;

/** Ties a token to its purpose, so the key signs nothing else that could pass for a publish token. */
const TOKEN_CONTEXT = 'replaycast publish token v1\0';
const PEER_TOKEN_CONTEXT = 'replaycast peer token v1\0';

/**
 * The bearer token Machines present to each other's peer API: INTERNAL_TOKEN, else one derived from
 * STREAM_SECRET (both are secrets of the app every Machine holds), else none. A Machine that is stopping
 * has left `.internal` DNS, and a peer that booted since never saw its address: with a token it can still
 * ask its peers where its moving streams went.
 */
export function peerToken(internalToken: string | null, streamSecret: string | null): string | null {
  if (internalToken !== null) return internalToken;
  if (streamSecret === null) return null;
  return createHmac('sha256', streamSecret).update(PEER_TOKEN_CONTEXT).digest('base64url');
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Publish tokens any Machine of the app can verify without shared state: the HMAC-SHA256 of the stream
 * id under STREAM_SECRET (base64url). A stream keeps its id for life, so its token opens its publish
 * socket and resumes it on whichever Machine holds the same secret. Without a secret the key is random
 * per process (`shared` false): tokens then verify only on the Machine that issued them.
 */
export class PublishTokens {
  private constructor(
    private readonly key: Buffer,
    /** The key came from STREAM_SECRET: every Machine of the app verifies these tokens. */
    readonly shared: boolean,
  ) {}

  /** From STREAM_SECRET, or a key of this process when it is not set. */
  static from(secret: string | null): PublishTokens {
    return secret === null
      ? new PublishTokens(randomBytes(32), false)
      : new PublishTokens(Buffer.from(secret, 'utf8'), true);
  }

  issue(streamId: string): string {
    return createHmac('sha256', this.key).update(TOKEN_CONTEXT).update(streamId).digest('base64url');
  }

  /**
   * Constant-time: both sides are hashed to the same length first, so neither the comparison nor a
   * length check tells an attacker how much of a guess was right.
   */
  matches(streamId: string, presented: unknown): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > PUBLISH_TOKEN_MAX_CHARS)
      return false;
    return timingSafeEqual(digest(presented), digest(this.issue(streamId)));
  }
}
