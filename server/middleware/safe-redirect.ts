/**
 * A `next`/`redirect` target is accepted only as a path on this site. Refused: absolute URLs,
 * scheme-relative `//evil`, `/\evil` (browsers read `\` as `/`), control characters, and the same
 * tricks percent-encoded. Returns the path to use, or null.
 */
export function safeRedirectPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2000) return null;
  let decoded = value;
  for (let round = 0; round < 3; round++) {
    if (!isSafePath(decoded)) return null;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return null;
    }
    if (next === decoded) break;
    decoded = next;
  }
  return isSafePath(decoded) ? value : null;
}

function isSafePath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  try {
    return new URL(path, 'http://this.invalid').host === 'this.invalid';
  } catch {
    return false;
  }
}
