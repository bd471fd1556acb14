/**
 * The p-th percentile (0-100) of `values`, nearest rank on the sorted copy (the value at index
 * floor(p/100 × n), clamped to the last); NaN for no values. For the benches' latency reports.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
