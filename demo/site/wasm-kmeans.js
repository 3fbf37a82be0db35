/*
 * Loads the Rust k-means (.wasm) and wraps its hand-written ABI
 * (demo/wasm/src/abi.rs) in a small JavaScript API.
 *
 * Two builds of the same crate exist: `simd128` (the kernels' portable SIMD at
 * WebAssembly's 128-bit level) and `scalar` (the canonical scalar loop, no SIMD
 * instruction at all, for engines without WebAssembly SIMD). `pickBuild` chooses.
 *
 * Loads as a classic <script> (defines `WasmKMeans`) or with Node's require().
 */
(function (root) {
  'use strict';

  /**
   * The smallest module using a SIMD instruction (v128.const, i8x16.popcnt — the
   * probe of the wasm-feature-detect library): it validates only where the engine
   * supports WebAssembly SIMD.
   */
  const SIMD_PROBE = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
    253, 15, 253, 98, 11,
  ]);

  /** Error codes of the ABI (DemoError::code). */
  const ERRORS = {
    '-1': 'null or misaligned pointer',
    '-2': 'shape does not match the buffers',
    '-3': 'k must be between 1 and n',
    '-4': 'values must be finite',
    '-5': 'tol must be >= 0',
  };

  /** Does this engine run WebAssembly SIMD? */
  function simdSupported() {
    return WebAssembly.validate(SIMD_PROBE);
  }

  /**
   * Chooses a build: `preference` is 'auto', 'simd128' or 'scalar'. 'auto' takes
   * simd128 when the probe validates *and* the simd128 module itself validates
   * (it also carries the kernels' code for other SIMD levels, never run), else scalar.
   */
  function pickBuild(preference, bytesOf) {
    if (preference === 'scalar') return 'scalar';
    const ok = simdSupported() && WebAssembly.validate(bytesOf('simd128'));
    if (preference === 'simd128' && !ok) {
      throw new Error('this browser cannot run the simd128 build (no WebAssembly SIMD)');
    }
    return ok ? 'simd128' : 'scalar';
  }

  /** Decodes base64 (the embedded modules) to bytes. */
  function fromBase64(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** Throws on a negative ABI return code. */
  function check(code, what) {
    if (code < 0) throw new Error(`${what}: ${ERRORS[code] ?? `error ${code}`}`);
    return code;
  }

  /** A loaded module: `setData`, then `initCenters` and `run` as often as needed. */
  class RustKMeans {
    constructor(instance, build) {
      this.abi = instance.exports;
      this.build = build;
      /** 'simd128' or 'scalar': the instruction set the assignment kernel runs at. */
      this.isa = this.abi.simd_level() === 1 ? 'simd128' : 'scalar';
      this.dataset = 0;
      this.n = 0;
      this.d = 0;
    }

    /** Fresh views: growing the wasm memory replaces `memory.buffer`. */
    f64(ptr, len) {
      return new Float64Array(this.abi.memory.buffer, ptr, len);
    }
    u32(ptr, len) {
      return new Uint32Array(this.abi.memory.buffer, ptr, len);
    }

    /** Runs `body(ptr)` with a scratch buffer of `bytes` bytes, then frees it. */
    withBuffer(bytes, body) {
      const ptr = this.abi.alloc_bytes(bytes) >>> 0; // i32 -> address (u32)
      if (ptr === 0) throw new Error(`wasm: cannot allocate ${bytes} bytes`);
      try {
        return body(ptr);
      } finally {
        this.abi.free_bytes(ptr, bytes);
      }
    }

    /** Copies the n × d points into the module once (every run reads them in place). */
    setData(x, n, d) {
      this.free();
      this.dataset = this.withBuffer(x.length * 8, (ptr) => {
        this.f64(ptr, x.length).set(x);
        return this.abi.dataset_new(ptr, n, d) >>> 0;
      });
      if (this.dataset === 0) throw new Error('wasm: invalid data (shape or non-finite values)');
      this.n = n;
      this.d = d;
    }

    /** Greedy k-means++ centers for (seed, k), as the `kmeans` binary's --seed. */
    initCenters(k, seed) {
      const len = k * this.d;
      return this.withBuffer(len * 8, (ptr) => {
        check(this.abi.init_centers(this.dataset, k, seed >>> 0, ptr), 'init_centers');
        return Float64Array.from(this.f64(ptr, len));
      });
    }

    /**
     * Lloyd from `init` (k × d). Returns labels (Uint32Array), centers, inertia,
     * iterations and converged, copied out of the module's memory.
     */
    run(init, maxIter = 300, tol = 1e-4) {
      const { n, d } = this;
      const k = init.length / d;
      const abi = this.abi;
      // One allocation for everything: init | centers out | info (2) | labels.
      const bytes = 8 * (2 * k * d + 2) + 4 * n;
      return this.withBuffer(bytes, (ptr) => {
        const initPtr = ptr;
        const centersPtr = initPtr + 8 * k * d;
        const infoPtr = centersPtr + 8 * k * d;
        const labelsPtr = infoPtr + 16;
        this.f64(initPtr, k * d).set(init);
        const iterations = check(
          abi.run_kmeans(this.dataset, initPtr, k, maxIter, tol, labelsPtr, centersPtr, infoPtr),
          'run_kmeans',
        );
        const info = this.f64(infoPtr, 2);
        return {
          labels: this.u32(labelsPtr, n).slice(),
          centers: this.f64(centersPtr, k * d).slice(),
          inertia: info[0],
          iterations,
          converged: info[1] === 1,
        };
      });
    }

    /** Releases the data set. */
    free() {
      if (this.dataset !== 0) this.abi.dataset_free(this.dataset);
      this.dataset = 0;
    }
  }

  /** Instantiates module bytes (the module imports nothing). */
  async function instantiate(bytes, build) {
    const { instance } = await WebAssembly.instantiate(bytes, {});
    return new RustKMeans(instance, build);
  }

  /**
   * Loads the build chosen by `preference` from the embedded base64 modules
   * (`KMEANS_WASM`, generated by demo/build.sh: works from file:// too).
   */
  async function load(preference = 'auto') {
    const embedded = root.KMEANS_WASM;
    if (!embedded) throw new Error('wasm-embed.js is missing: run demo/build.sh');
    const cache = {};
    const bytesOf = (build) => (cache[build] ??= fromBase64(embedded[build]));
    const build = pickBuild(preference, bytesOf);
    return instantiate(bytesOf(build), build);
  }

  const api = { load, instantiate, pickBuild, simdSupported, SIMD_PROBE };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.WasmKMeans = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
