/** Fly Machine ids are 14 lowercase hex chars; the older 8-hex form is retired and rejected. */
export const MACHINE_ID_PATTERN = /^[0-9a-f]{14}$/;

export function isMachineId(value: unknown): value is string {
  return typeof value === 'string' && MACHINE_ID_PATTERN.test(value);
}

/** Name of the cookie that pins a browser to a Machine, as in Fly's session-affinity blueprint. */
export const MACHINE_COOKIE = 'fly-machine-id';
