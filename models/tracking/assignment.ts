import { munkres } from 'munkres';

/**
 * Optimal one-to-one assignment (Hungarian / Kuhn-Munkres, via the `munkres` package) on a
 * rows × cols cost matrix where Infinity marks forbidden pairs.
 * @returns matched [row, col] pairs with finite cost, sorted by row
 */
export function assignMinCost(cost: number[][]): [number, number][] {
  if (cost.length === 0 || cost[0].length === 0) return [];
  // Replace Infinity by a cost larger than any feasible sum so the solver stays numeric,
  // then drop pairs that used it.
  let maxFinite = 0;
  for (const row of cost) for (const v of row) if (Number.isFinite(v)) maxFinite = Math.max(maxFinite, Math.abs(v));
  const big = (maxFinite + 1) * (cost.length + cost[0].length + 1);
  const bounded = cost.map((row) => row.map((v) => (Number.isFinite(v) ? v : big)));
  return munkres(bounded)
    .filter(([r, c]) => Number.isFinite(cost[r][c]))
    .sort((a, b) => a[0] - b[0]);
}
