// Node test: instantiates both .wasm builds straight from demo/site/wasm/ and checks
// them against the native build of the same crate (examples/native_ref.rs, AVX2 /
// AVX-512 / NEON kernels) and against the JavaScript k-means, on the demo's data and
// on edge cases (k = 1, k = n, duplicate points and empty clusters, d = 5 with exact
// ties, max_iter = 1, tol = 0).
//
//   node demo/tests/wasm.test.mjs        (builds the native reference with cargo)
//
// Required: identical initial centers and labels everywhere, inertia within 1e-9
// relative; and, since they run the same Rust code, the wasm builds bit-identical to
// the native one (inertia and centers). The JavaScript k-means is bit-identical too
// in practice; the test reports it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const demo = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(demo, 'site');
const KMeansJS = require(join(site, 'kmeans.js'));
const Datasets = require(join(site, 'datasets.js'));
const WasmKMeans = require(join(site, 'wasm-kmeans.js'));

const REL_TOL = 1e-9;
const BUILDS = ['simd128', 'scalar'];

/** Builds the native reference once and returns its path. */
function nativeRef() {
  const manifest = join(demo, 'wasm', 'Cargo.toml');
  const build = spawnSync(
    'cargo',
    ['build', '--quiet', '--locked', '--example', 'native_ref', '--manifest-path', manifest, '--message-format', 'json'],
    { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  assert.equal(build.status, 0, 'cargo build --example native_ref failed');
  const artifact = build.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((m) => m.reason === 'compiler-artifact' && m.target?.name === 'native_ref');
  assert.ok(artifact?.executable, 'no native_ref executable in cargo output');
  return artifact.executable;
}

const tmp = mkdtempSync(join(tmpdir(), 'kmeans-demo-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const nativeBin = nativeRef();

/** Writes f64 values as the native reference reads them (little-endian, as JS). */
function writeF64(name, values) {
  const file = join(tmp, name);
  const a = Float64Array.from(values);
  writeFileSync(file, new Uint8Array(a.buffer));
  return file;
}

/** Runs the native reference on (x, n, d): greedy k-means++ for (seed, k), or `init`. */
function runNative({ x, n, d, k, seed, maxIter, tol, init }) {
  const args = [writeF64('x.f64', x), n, d, k, seed, maxIter, tol];
  if (init) args.push(writeF64('init.f64', init));
  const r = spawnSync(nativeBin, args.map(String), {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  assert.equal(r.status, 0, `native_ref failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const modules = {};
for (const build of BUILDS) {
  const bytes = readFileSync(join(site, 'wasm', `kmeans-${build}.wasm`));
  modules[build] = await WasmKMeans.instantiate(bytes, build);
}

/** Relative difference of two inertias. */
const relDiff = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

/** Index of the first differing label, or -1. */
function firstMismatch(a, b) {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Every implementation on one case; returns a summary line. */
function compareAll(name, c) {
  const native = runNative(c);
  const init = Float64Array.from(native.init_centers); // = c.init when given
  for (const build of BUILDS) {
    const m = modules[build];
    m.setData(c.x, c.n, c.d);
    if (!c.init) {
      const wasmInit = m.initCenters(c.k, c.seed);
      assert.deepEqual(Array.from(wasmInit), native.init_centers, `${name}: ${build} initial centers`);
    }
    const r = m.run(init, c.maxIter, c.tol);
    const at = firstMismatch(r.labels, native.labels);
    assert.equal(at, -1, `${name}: ${build} label ${at} differs from native`);
    assert.ok(relDiff(r.inertia, native.inertia) <= REL_TOL, `${name}: ${build} inertia ${r.inertia} vs native ${native.inertia}`);
    assert.equal(r.iterations, native.iterations, `${name}: ${build} iterations`);
    assert.equal(r.converged, native.converged, `${name}: ${build} converged`);
    // Same Rust code on every SIMD level: the kernels crate guarantees bit-identical
    // results, so anything else is a bug even within the tolerance.
    assert.equal(r.inertia, native.inertia, `${name}: ${build} inertia not bit-identical to native`);
    assert.deepEqual(Array.from(r.centers), native.centers, `${name}: ${build} centers not bit-identical to native`);
  }
  const js = KMeansJS.fit(c.x, c.n, c.d, init, { maxIter: c.maxIter, tol: c.tol });
  const at = firstMismatch(js.labels, native.labels);
  assert.equal(at, -1, `${name}: JavaScript label ${at} differs from native`);
  assert.ok(relDiff(js.inertia, native.inertia) <= REL_TOL, `${name}: JavaScript inertia ${js.inertia} vs native ${native.inertia}`);
  assert.equal(js.iterations, native.iterations, `${name}: JavaScript iterations`);
  const exact = js.inertia === native.inertia && Array.from(js.centers).every((v, i) => v === native.centers[i]);
  return `${name}: n=${c.n} d=${c.d} k=${c.k} native=${native.isa} iterations=${native.iterations} inertia=${native.inertia} wasm bit-identical, JavaScript ${exact ? 'bit-identical' : 'within 1e-9'}`;
}

const defaults = { seed: 42, maxIter: 300, tol: 1e-4 };

test('both builds report their kernel', () => {
  assert.equal(modules.simd128.isa, 'simd128');
  assert.equal(modules.scalar.isa, 'scalar');
});

test('wasm-embed.js holds exactly the committed .wasm files', () => {
  const ctx = {};
  const src = readFileSync(join(site, 'wasm-embed.js'), 'utf8').replace('globalThis.KMEANS_WASM', 'ctx.KMEANS_WASM');
  new Function('ctx', src)(ctx);
  for (const build of BUILDS) {
    const file = readFileSync(join(site, 'wasm', `kmeans-${build}.wasm`));
    assert.ok(Buffer.from(ctx.KMEANS_WASM[build], 'base64').equals(file), `${build}: embed is stale, run demo/build.sh`);
  }
});

test('every demo distribution: wasm (simd128, scalar) = native = JavaScript', () => {
  for (const dist of Datasets.DISTRIBUTIONS) {
    for (const [n, seed] of [[5000, 1], [20000, 7]]) {
      const x = Datasets.generate(dist.id, n, seed);
      console.log(compareAll(dist.id, { ...defaults, x, n, d: 2, k: dist.k, seed }));
    }
    // More clusters than the structure has (empty clusters and relocation are likely).
    const x = Datasets.generate(dist.id, 3000, 3);
    console.log(compareAll(`${dist.id} k=20`, { ...defaults, x, n: 3000, d: 2, k: 20, seed: 3 }));
  }
});

test('edge cases', () => {
  const blobs = Datasets.generate('blobs', 2000, 5);
  const cases = {
    'one point, k=1': { x: Float64Array.of(1.5, -2), n: 1, d: 2, k: 1 },
    'k = n': { x: blobs.slice(0, 14), n: 7, d: 2, k: 7 },
    'k = 1': { x: blobs, n: 2000, d: 2, k: 1 },
    'max_iter = 1 (final label pass)': { x: blobs, n: 2000, d: 2, k: 5, maxIter: 1 },
    'tol = 0': { x: blobs, n: 2000, d: 2, k: 5, tol: 0 },
    'duplicate points (empty clusters)': (() => {
      // 3 distinct points repeated; k = 6 forces empty clusters every iteration.
      const x = new Float64Array(2 * 300);
      for (let i = 0; i < 300; i++) {
        x[2 * i] = i % 3;
        x[2 * i + 1] = (i % 3) * 2;
      }
      return { x, n: 300, d: 2, k: 6 };
    })(),
    'relocation ties (two empty clusters, three equally far points)': (() => {
      // 40 points at the origin and three at distance 10. From these centers every
      // point goes to center 0, clusters 1 and 2 are empty and take the farthest
      // points: equally far, so the lowest rows (40 and 41) win, and the result
      // depends on it.
      const x = new Float64Array(2 * 43);
      x.set([10, 0, -10, 0, 0, 10], 80);
      return { x, n: 43, d: 2, k: 3, init: [0, 0, 100, 100, 100, 101] };
    })(),
    'd = 5 on an integer grid (exact ties, expanded SIMD form)': (() => {
      const rand = Datasets.mulberry32(11);
      const x = new Float64Array(5 * 3000);
      for (let q = 0; q < x.length; q++) x[q] = Math.floor(rand() * 4);
      return { x, n: 3000, d: 5, k: 9 };
    })(),
    'd = 5, far from the origin': (() => {
      const rand = Datasets.mulberry32(12);
      const x = new Float64Array(5 * 2500);
      for (let q = 0; q < x.length; q++) x[q] = 1e6 + rand();
      return { x, n: 2500, d: 5, k: 8 };
    })(),
  };
  for (const [name, c] of Object.entries(cases)) {
    console.log(compareAll(name, { ...defaults, ...c }));
  }
});

test('the ABI refuses bad input with an error, not a trap', () => {
  const m = modules.simd128;
  m.setData(Float64Array.of(0, 0, 1, 1), 2, 2);
  assert.throws(() => m.initCenters(3, 1), /k must be between 1 and n/);
  assert.throws(() => m.run(Float64Array.of(0, 0), 10, -1), /tol must be >= 0/);
  assert.throws(() => m.run(Float64Array.of(NaN, 0), 10, 1e-4), /finite/);
  assert.throws(() => m.setData(Float64Array.of(0, Infinity), 1, 2), /invalid data/);
});
