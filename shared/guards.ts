/**
 * Type guards for checking parsed JSON before it is trusted, shared by the server and the browser
 * (so: no Node-only APIs).
 */

/** A plain JSON object: not null and not an array, whose fields are still unchecked. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number from 0 up to 2^53 - 1: counts, sequence numbers, timestamps. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
