/**
 * Constant-velocity Kalman filter on a box's (cx, cy, aspect = w/h, h), as in DeepSORT
 * (Wojke et al. 2017) and ByteTrack (Zhang et al. 2022), with their noise model: process and
 * measurement standard deviations proportional to the box height (weights 1/20 position,
 * 1/160 velocity; aspect noise fixed at 1e-2 / 1e-5 / 1e-1).
 *
 * With F, H, Q, R all block-diagonal per coordinate and a diagonal initial covariance, the
 * 8×8 covariance stays block-diagonal, so the filter is run exactly as four independent
 * (position, velocity) filters: same result, no 8×8 matrix products.
 *
 * Time is counted in nominal frame intervals of the camera: velocities are per interval, and a
 * prediction across `steps` intervals (frames dropped by a live source, a slow model) moves the
 * box `steps` times as far, with F = [[1, steps], [0, 1]] and the process noise of `steps`
 * intervals (Q × steps, a random walk's variance growing with time), so a gap widens the
 * uncertainty instead of being mistaken for one frame. One interval gives the filter above exactly.
 */
export class KalmanBoxFilter {
  /** State: [cx, cy, a, h] positions and their velocities per frame. */
  readonly mean = new Float64Array(8);
  /** Per coordinate k: covariance [pp, pv, vv] of (pos_k, vel_k), packed at 3k. */
  private readonly cov = new Float64Array(12);

  private static readonly STD_POS = 1 / 20;
  private static readonly STD_VEL = 1 / 160;

  /** Starts a filter at a measured box (x1, y1, x2, y2 in pixels), zero velocity. */
  constructor(box: ArrayLike<number>, offset = 0) {
    const m = boxToMeasurement(box, offset);
    const h = m[3];
    const posStd = [
      2 * KalmanBoxFilter.STD_POS * h,
      2 * KalmanBoxFilter.STD_POS * h,
      1e-2,
      2 * KalmanBoxFilter.STD_POS * h,
    ];
    const velStd = [
      10 * KalmanBoxFilter.STD_VEL * h,
      10 * KalmanBoxFilter.STD_VEL * h,
      1e-5,
      10 * KalmanBoxFilter.STD_VEL * h,
    ];
    for (let k = 0; k < 4; k++) {
      this.mean[k] = m[k];
      this.cov[3 * k] = posStd[k] ** 2;
      this.cov[3 * k + 1] = 0;
      this.cov[3 * k + 2] = velStd[k] ** 2;
    }
  }

  /**
   * Advances `steps` frame intervals (default one; > 0, fractions allowed): x ← F x,
   * P ← F P Fᵀ + steps · Q with F = [[1, steps], [0, 1]] per coordinate.
   */
  predict(steps = 1): void {
    const h = this.mean[3];
    const q = [KalmanBoxFilter.STD_POS * h, KalmanBoxFilter.STD_POS * h, 1e-2, KalmanBoxFilter.STD_POS * h];
    const qv = [KalmanBoxFilter.STD_VEL * h, KalmanBoxFilter.STD_VEL * h, 1e-5, KalmanBoxFilter.STD_VEL * h];
    const n = steps;
    for (let k = 0; k < 4; k++) {
      this.mean[k] += n * this.mean[4 + k];
      const pp = this.cov[3 * k],
        pv = this.cov[3 * k + 1],
        vv = this.cov[3 * k + 2];
      this.cov[3 * k] = pp + 2 * n * pv + n * n * vv + n * q[k] ** 2;
      this.cov[3 * k + 1] = pv + n * vv;
      this.cov[3 * k + 2] = vv + n * qv[k] ** 2;
    }
    if (this.mean[3] < 1) this.mean[3] = 1; // a box never shrinks to nothing by extrapolation
  }

  /** Corrects with a measured box (x1, y1, x2, y2): standard Kalman update per coordinate. */
  update(box: ArrayLike<number>, offset = 0): void {
    const m = boxToMeasurement(box, offset);
    const h = this.mean[3];
    const r = [KalmanBoxFilter.STD_POS * h, KalmanBoxFilter.STD_POS * h, 1e-1, KalmanBoxFilter.STD_POS * h];
    for (let k = 0; k < 4; k++) {
      const pp = this.cov[3 * k],
        pv = this.cov[3 * k + 1],
        vv = this.cov[3 * k + 2];
      const s = pp + r[k] ** 2;
      const kp = pp / s,
        kv = pv / s;
      const innovation = m[k] - this.mean[k];
      this.mean[k] += kp * innovation;
      this.mean[4 + k] += kv * innovation;
      this.cov[3 * k] = pp - kp * pp;
      this.cov[3 * k + 1] = pv - kp * pv;
      this.cov[3 * k + 2] = vv - kv * pv;
    }
  }

  /** The box {@link predict}(`steps`) would give, without advancing the filter (x1, y1, x2, y2 in pixels). */
  predictedBox(steps = 1): [number, number, number, number] {
    const [cx, cy, a, h] = [0, 1, 2, 3].map((k) => this.mean[k] + steps * this.mean[4 + k]);
    const height = Math.max(h, 1);
    const w = a * height;
    return [cx - w / 2, cy - height / 2, cx + w / 2, cy + height / 2];
  }

  /** Current box estimate, x1, y1, x2, y2 in pixels. */
  box(): [number, number, number, number] {
    const [cx, cy, a, h] = this.mean;
    const w = a * h;
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  }

  /**
   * Squared Mahalanobis distance of a measured box's position (cx, cy) from the prediction,
   * in units of the predicted position covariance plus measurement noise (χ² with 2 dof:
   * 5.99 is the 95% gate).
   */
  positionMahalanobis(box: ArrayLike<number>, offset = 0): number {
    const m = boxToMeasurement(box, offset);
    const h = this.mean[3];
    let d = 0;
    for (let k = 0; k < 2; k++) {
      const s = this.cov[3 * k] + (KalmanBoxFilter.STD_POS * h) ** 2;
      d += (m[k] - this.mean[k]) ** 2 / s;
    }
    return d;
  }
}

/** x1, y1, x2, y2 → cx, cy, w/h, h. */
function boxToMeasurement(box: ArrayLike<number>, o: number): [number, number, number, number] {
  const w = Math.max(box[o + 2] - box[o], 1e-3),
    h = Math.max(box[o + 3] - box[o + 1], 1e-3);
  return [box[o] + w / 2, box[o + 1] + h / 2, w / h, h];
}
