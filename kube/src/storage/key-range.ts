/**
 * Smallest string greater than every string starting with `prefix` (undefined for the empty prefix:
 * no upper bound). Incrementing the last code unit is exact for BMP keys, which is all the API server writes.
 */
export function prefixEnd (prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i)
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1)
  }
  return undefined
}
