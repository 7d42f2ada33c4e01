/**
 * Remembered form values (the creator's and the viewer's names) in localStorage. Never throws: with
 * storage blocked (private modes, strict settings) values just are not remembered.
 */

export function readStored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

export function writeStored(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not remembered
  }
}
