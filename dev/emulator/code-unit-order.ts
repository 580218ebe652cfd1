/** Sorts strings by UTF-16 code units, the order `Array.prototype.sort` uses and the list APIs page in. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
