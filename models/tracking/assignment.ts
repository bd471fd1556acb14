import { munkres } from 'munkres';

/**
 * Optimal one-to-one assignment (Hungarian / Kuhn-Munkres, via the `munkres` package) on a
 * rows × cols cost matrix where Infinity marks forbidden (gated) pairs.
 *
 * Gated pairs split the problem: rows and columns connected only through finite costs form
 * independent sub-problems (connected components of the bipartite graph), each solved on its
 * own. The total cost is the same as one big solve, but a frame of 100 well-separated people
 * becomes 100 1×1 problems instead of one O(n³) 100×100 solve.
 * @returns matched [row, col] pairs with finite cost, sorted by row
 */
export function assignMinCost(cost: readonly (readonly number[])[]): [number, number][] {
  const rows = cost.length,
    cols = rows ? cost[0].length : 0;
  if (rows === 0 || cols === 0) return [];
  // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
  const parent = Array.from({ length: rows + cols }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) if (Number.isFinite(cost[r][c])) parent[find(r)] = find(rows + c);
  const groups = new Map<number, { rows: number[]; cols: number[] }>();
  for (let i = 0; i < rows + cols; i++) {
    const root = find(i);
    let g = groups.get(root);
    if (!g) {
      g = { rows: [], cols: [] };
      groups.set(root, g);
    }
    if (i < rows) g.rows.push(i);
    else g.cols.push(i - rows);
  }
  const out: [number, number][] = [];
  for (const g of groups.values()) {
    if (g.rows.length === 0 || g.cols.length === 0) continue;
    if (g.rows.length === 1 && g.cols.length === 1) {
      out.push([g.rows[0], g.cols[0]]);
      continue;
    }
    out.push(
      ...solve(g.rows.map((r) => g.cols.map((c) => cost[r][c]))).map(([i, j]): [number, number] => [
        g.rows[i],
        g.cols[j],
      ]),
    );
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** One connected sub-problem: munkres with Infinity replaced by a cost no feasible assignment reaches. */
function solve(cost: number[][]): [number, number][] {
  let maxFinite = 0;
  for (const row of cost) for (const v of row) if (Number.isFinite(v)) maxFinite = Math.max(maxFinite, Math.abs(v));
  const big = (maxFinite + 1) * (cost.length + cost[0].length + 1);
  const bounded = cost.map((row) => row.map((v) => (Number.isFinite(v) ? v : big)));
  return munkres(bounded).filter(([r, c]) => Number.isFinite(cost[r][c]));
}
