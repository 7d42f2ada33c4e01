/**
 * Stream ids are ULIDs (the server makes them with `ulid()`): 26 Crockford base32 characters, upper
 * case. The server refuses anything else before looking a stream up, and the page routes anything else
 * to "Page not found", so both sides agree on what can name a stream.
 */
export const STREAM_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && STREAM_ID_PATTERN.test(value);
}
