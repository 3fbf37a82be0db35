/*
 * The six point distributions of the demo, all 2-D and reproducible from a seed
 * (the shapes follow scikit-learn's make_blobs / make_moons / make_circles and its
 * k-means assumptions example).
 *
 * Loads as a classic <script> (defines `Datasets`) or with Node's require().
 */
(function (root) {
  'use strict';

  /** mulberry32: a small, fast 32-bit PRNG; returns uniforms in [0, 1). */
  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Standard normal samples by the Box–Muller transform. */
  function normal(rand) {
    const u = 1 - rand(); // (0, 1]: log(u) is finite
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Splits n points over clusters in proportion to `weights` (sizes sum to n). */
  function sizes(n, weights) {
    const total = weights.reduce((a, b) => a + b, 0);
    const out = weights.map((w) => Math.floor((n * w) / total));
    let rest = n - out.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % out.length, rest--) out[i]++;
    return out;
  }

  /** Gaussian blobs around random centers in [-10, 10]²; `spec` gives weight and spread. */
  function blobs(n, rand, spec) {
    const x = new Float64Array(2 * n);
    const counts = sizes(n, spec.map((s) => s.weight));
    let i = 0;
    spec.forEach((s, c) => {
      const cx = -10 + 20 * rand();
      const cy = -10 + 20 * rand();
      for (let m = 0; m < counts[c]; m++, i++) {
        x[2 * i] = cx + s.std * normal(rand);
        x[2 * i + 1] = cy + s.std * normal(rand);
      }
    });
    return x;
  }

  /** Each generator: (n, rand) -> Float64Array of n × 2 coordinates. */
  const GENERATORS = {
    blobs(n, rand) {
      return blobs(n, rand, Array.from({ length: 5 }, () => ({ weight: 1, std: 1 })));
    },
    anisotropic(n, rand) {
      // Three blobs sheared by a linear map (scikit-learn's k-means example).
      const x = blobs(n, rand, Array.from({ length: 3 }, () => ({ weight: 1, std: 1 })));
      for (let i = 0; i < n; i++) {
        const a = x[2 * i];
        const b = x[2 * i + 1];
        x[2 * i] = 0.6 * a - 0.4089 * b;
        x[2 * i + 1] = -0.6367 * a + 0.8525 * b;
      }
      return x;
    },
    unequal(n, rand) {
      // One big wide cluster, a mid-sized one and a small tight one.
      return blobs(n, rand, [
        { weight: 75, std: 2.2 },
        { weight: 20, std: 1.0 },
        { weight: 5, std: 0.4 },
      ]);
    },
    uniform(n, rand) {
      const x = new Float64Array(2 * n);
      for (let q = 0; q < 2 * n; q++) x[q] = -1 + 2 * rand();
      return x;
    },
    moons(n, rand) {
      // Two interleaving half circles with Gaussian noise.
      const x = new Float64Array(2 * n);
      const [outer] = sizes(n, [1, 1]);
      for (let i = 0; i < n; i++) {
        const t = Math.PI * rand();
        const inner = i >= outer;
        x[2 * i] = (inner ? 1 - Math.cos(t) : Math.cos(t)) + 0.08 * normal(rand);
        x[2 * i + 1] = (inner ? 0.5 - Math.sin(t) : Math.sin(t)) + 0.08 * normal(rand);
      }
      return x;
    },
    rings(n, rand) {
      // Two concentric circles (radius 1 and 0.5) with Gaussian noise.
      const x = new Float64Array(2 * n);
      const [outer] = sizes(n, [1, 1]);
      for (let i = 0; i < n; i++) {
        const t = 2 * Math.PI * rand();
        const r = i < outer ? 1 : 0.5;
        x[2 * i] = r * Math.cos(t) + 0.05 * normal(rand);
        x[2 * i + 1] = r * Math.sin(t) + 0.05 * normal(rand);
      }
      return x;
    },
  };

  /** What the page shows for each distribution; `k` is the natural default. */
  const DISTRIBUTIONS = [
    {
      id: 'blobs',
      label: 'Blobs',
      k: 5,
      note: 'Round clusters of equal spread: the case k-means is built for.',
    },
    {
      id: 'anisotropic',
      label: 'Anisotropic blobs',
      k: 3,
      note:
        'Stretched clusters. k-means assumes round ones, so its straight boundaries can cut across a stretched cluster.',
    },
    {
      id: 'unequal',
      label: 'Unequal sizes',
      k: 3,
      note:
        'One big wide cluster, a small tight one. k-means balances squared distances, not densities, and tends to hand part of the big cluster to its neighbours.',
    },
    {
      id: 'uniform',
      label: 'Uniform noise',
      k: 4,
      note:
        'No clusters at all. k-means still returns k cells (a Voronoi tiling of the square): it always answers, so check that the structure is there.',
    },
    {
      id: 'moons',
      label: 'Moons',
      k: 2,
      note:
        'Two interleaving half circles. They are not convex, so k-means separates them with a straight line and gets the tips wrong.',
    },
    {
      id: 'rings',
      label: 'Concentric rings (failure case)',
      k: 2,
      note:
        'The honest failure case of k-means: both rings have the same center, and k-means can only draw straight boundaries between centroids, so it cuts both rings in half instead of separating them. Use spectral clustering or DBSCAN here.',
    },
  ];

  /** n × 2 points of distribution `id` for `seed` (a 32-bit unsigned integer). */
  function generate(id, n, seed) {
    const gen = GENERATORS[id];
    if (!gen) throw new RangeError(`unknown distribution '${id}'`);
    // Mix the distribution's name into the seed so distributions differ.
    let h = seed >>> 0;
    for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
    return gen(n, mulberry32(h));
  }

  const api = { DISTRIBUTIONS, generate, mulberry32 };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.Datasets = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
