/*
 * k-means (Lloyd's algorithm) in plain JavaScript, with scikit-learn's semantics and
 * the exact arithmetic of the Rust `kernels` crate, so both give the same labels and
 * inertia from the same initial centers:
 *
 *  - distance: the sum of (x_t - c_t)^2 in f64 in Rust's canonical order (eight
 *    partial sums by t % 8, then a fixed tree; JavaScript numbers are IEEE-754
 *    doubles and never fused, like Rust's `dist2`); the nearest center is
 *    the first one with the smallest distance (lowest index on ties);
 *  - each iteration assigns every point, then sets each center to sum * (1 / count);
 *    an empty cluster instead takes the point farthest from its current center;
 *  - stop when no label changed, or when the summed squared center shift is <= tol,
 *    where tol is relative to the mean per-feature variance; else after maxIter;
 *  - if it stopped on the tolerance or maxIter, labels are recomputed once from the
 *    final centers, so labels and centers agree;
 *  - inertia = sum of squared distances from each point to its center.
 *
 * Floating-point addition is not associative, so "the same sum" means "summed in the
 * same order". The Rust code sums points in blocks of CHUNK_ROWS rows (each block
 * from zero, then the blocks in order: that is what makes its parallel runs
 * deterministic), so this code sums in the same blocks. Nothing else here is tuned:
 * it is the straightforward loop over typed arrays.
 *
 * Loads as a classic <script> (defines `KMeansJS`) or with Node's require().
 */
(function (root) {
  'use strict';

  /** Rows per summation block: kernels::lloyd::CHUNK_ROWS. */
  const CHUNK_ROWS = 1024;

  /**
   * Squared Euclidean distance between row i of `x` and row j of `c` (d columns), in
   * the canonical order of Rust's `dist2`: feature t's squared difference goes to
   * partial sum t % 8, and the partials are combined as
   * ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)).
   */
  const partials = new Float64Array(8);
  function dist2(x, i, c, j, d) {
    const p = partials;
    p.fill(0);
    const xo = i * d;
    const co = j * d;
    for (let t = 0; t < d; t++) {
      const diff = x[xo + t] - c[co + t];
      p[t & 7] += diff * diff;
    }
    return ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
  }

  /**
   * scikit-learn's absolute tolerance: tol * mean over features of the variance,
   * with the mean and the squared deviations summed per block (as in Rust).
   */
  function absoluteTol(x, n, d, tol) {
    if (tol === 0) return 0;
    const mean = new Float64Array(d);
    const part = new Float64Array(d);
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, n);
      part.fill(0);
      for (let i = start; i < end; i++) {
        for (let t = 0; t < d; t++) part[t] += x[i * d + t];
      }
      for (let t = 0; t < d; t++) mean[t] += part[t];
    }
    for (let t = 0; t < d; t++) mean[t] /= n;

    const variance = new Float64Array(d);
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, n);
      part.fill(0);
      for (let i = start; i < end; i++) {
        for (let t = 0; t < d; t++) {
          const dev = x[i * d + t] - mean[t];
          part[t] += dev * dev;
        }
      }
      for (let t = 0; t < d; t++) variance[t] += part[t];
    }
    let meanVariance = 0;
    for (let t = 0; t < d; t++) meanVariance += variance[t] / n;
    return (meanVariance / d) * tol;
  }

  /**
   * Assigns every point to its nearest center. Writes `labels` in place and returns
   * how many changed. When `sums`/`counts` are given, also accumulates each cluster's
   * coordinate sums (per block of CHUNK_ROWS rows, blocks added in order) and sizes.
   */
  function assign(x, n, d, centers, k, labels, sums, counts) {
    let changed = 0;
    const accumulate = sums !== null;
    const block = accumulate ? new Float64Array(k * d) : null;
    if (accumulate) {
      sums.fill(0);
      counts.fill(0);
    }
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, n);
      if (accumulate) block.fill(0);
      for (let i = start; i < end; i++) {
        let best = 0;
        let bestDist = Infinity;
        for (let j = 0; j < k; j++) {
          const dd = dist2(x, i, centers, j, d);
          if (dd < bestDist) {
            bestDist = dd;
            best = j;
          }
        }
        if (labels[i] !== best) {
          labels[i] = best;
          changed++;
        }
        if (accumulate) {
          for (let t = 0; t < d; t++) block[best * d + t] += x[i * d + t];
          counts[best] += 1;
        }
      }
      if (accumulate) {
        for (let q = 0; q < k * d; q++) sums[q] += block[q];
      }
    }
    return changed;
  }

  /**
   * Empty clusters take the points farthest from their current centers (largest
   * distance first, lowest row on ties), moving the point's coordinates out of its
   * cluster's sum, as scikit-learn's _relocate_empty_clusters. Labels are not changed.
   */
  function relocateEmpty(x, n, d, centers, k, labels, sums, counts) {
    const empty = [];
    for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
    if (empty.length === 0) return;

    // The m farthest points, kept sorted: [distance, row], largest first.
    const m = Math.min(empty.length, n);
    const far = [];
    for (let i = 0; i < n; i++) {
      const dd = dist2(x, i, centers, labels[i], d);
      if (far.length < m || dd > far[far.length - 1][0]) {
        let pos = 0;
        while (pos < far.length && far[pos][0] >= dd) pos++;
        far.splice(pos, 0, [dd, i]);
        if (far.length > m) far.pop();
      }
    }
    for (let q = 0; q < far.length; q++) {
      const j = empty[q];
      const i = far[q][1];
      const from = labels[i];
      for (let t = 0; t < d; t++) {
        const v = x[i * d + t];
        sums[from * d + t] -= v;
        sums[j * d + t] = v;
      }
      counts[j] = 1;
      counts[from] -= 1;
    }
  }

  /** Sum of squared distances of each point to its center (per block, in order). */
  function inertia(x, n, d, centers, labels) {
    let total = 0;
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, n);
      let block = 0;
      for (let i = start; i < end; i++) block += dist2(x, i, centers, labels[i], d);
      total += block;
    }
    return total;
  }

  /**
   * Runs Lloyd's algorithm.
   *
   * @param {Float64Array} x          n × d points, row-major
   * @param {number} n
   * @param {number} d
   * @param {ArrayLike<number>} init  k × d initial centers, row-major
   * @param {object} [options]
   * @param {number} [options.maxIter=300]
   * @param {number} [options.tol=1e-4]   relative tolerance (scikit-learn's `tol`)
   * @param {function} [options.onIteration]  called after each iteration with
   *        (iteration, centers) — a copy is the caller's job; used for animation
   * @returns {{labels: Int32Array, centers: Float64Array, inertia: number,
   *            iterations: number, converged: boolean}}
   */
  function fit(x, n, d, init, options = {}) {
    const maxIter = options.maxIter ?? 300;
    const tol = options.tol ?? 1e-4;
    const onIteration = options.onIteration ?? null;
    const k = init.length / d;
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new RangeError(`need 1 <= k <= n centers of dimension ${d}`);
    }
    const tolAbs = absoluteTol(x, n, d, tol);

    let centers = Float64Array.from(init);
    let next = new Float64Array(k * d);
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    const labels = new Int32Array(n).fill(-1);

    let iterations = 0;
    let converged = false;
    let strict = false; // labels unchanged: already consistent with the centers
    for (let it = 0; it < maxIter; it++) {
      iterations = it + 1;
      const changed = assign(x, n, d, centers, k, labels, sums, counts);
      relocateEmpty(x, n, d, centers, k, labels, sums, counts);

      // New centers = means; shift = sum of squared center movements.
      let shift = 0;
      for (let j = 0; j < k; j++) {
        const alpha = counts[j] > 0 ? 1 / counts[j] : 1;
        for (let t = 0; t < d; t++) next[j * d + t] = sums[j * d + t] * alpha;
        shift += dist2(next, j, centers, j, d);
      }
      [centers, next] = [next, centers];
      if (onIteration) onIteration(iterations, centers);

      if (changed === 0) {
        strict = true;
        converged = true;
        break;
      }
      if (shift <= tolAbs) {
        converged = true;
        break;
      }
    }
    if (!strict) assign(x, n, d, centers, k, labels, null, null);

    return {
      labels,
      centers,
      inertia: inertia(x, n, d, centers, labels),
      iterations,
      converged,
    };
  }

  /** Index of the nearest center of every point (for drawing animation frames). */
  function nearest(x, n, d, centers, out) {
    const k = centers.length / d;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDist = Infinity;
      for (let j = 0; j < k; j++) {
        const dd = dist2(x, i, centers, j, d);
        if (dd < bestDist) {
          bestDist = dd;
          best = j;
        }
      }
      out[i] = best;
    }
    return out;
  }

  const api = { fit, nearest, absoluteTol, CHUNK_ROWS };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.KMeansJS = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
