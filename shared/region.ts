/**
 * Fly region codes (`ams`, `dfw`, ...): lowercase letters, digits and `-`. Looser than today's
 * three-letter codes so a new region or a local test name still passes; bounded so a header or DNS
 * answer cannot smuggle in a long string.
 */
export const REGION_PATTERN = /^[a-z0-9-]{2,32}$/;

export function isRegionCode(value: unknown): value is string {
  return typeof value === 'string' && REGION_PATTERN.test(value);
}
