/*
 * The demo page: reads the controls, generates the points, runs the Rust/WASM and
 * JavaScript k-means on them from the same initial centers, times both, compares
 * their results, and animates the Lloyd iterations on the canvas.
 *
 * Uses the globals of datasets.js (Datasets), kmeans.js (KMeansJS) and
 * wasm-kmeans.js (WasmKMeans). `window.demo` exposes the last result for tests.
 */
(function () {
  'use strict';

  const N_STEPS = [500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  const MAX_ITER = 300;
  const TOL = 1e-4;
  const D = 2;

  /** Timing protocol: each sample times `reps` back-to-back runs, long enough for the
   *  timer's resolution (browsers coarsen performance.now() to 0.1 ms or so). */
  const MIN_SAMPLE_MS = 20;
  const MIN_ROUNDS = 5;
  const MAX_ROUNDS = 21;
  const BUDGET_MS = 2000;

  /** Animation: at most this many frames, played in about ANIMATION_MS. */
  const MAX_FRAMES = 60;
  const ANIMATION_MS = 4000;

  /** 20 distinguishable cluster colours (Tableau 20, reordered). */
  const PALETTE = [
    '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948',
    '#ff9da7', '#9c755f', '#bab0ac', '#a0cbe8', '#ffbe7d', '#8cd17d', '#ff9d9a',
    '#d4a6c8', '#86bcb6', '#f1ce63', '#fabfd2', '#d7b5a6', '#79706e',
  ];

  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $('controls'),
    distributions: $('distributions'),
    n: $('n'),
    nValue: $('n-value'),
    k: $('k'),
    kValue: $('k-value'),
    seed: $('seed'),
    build: $('build'),
    run: $('run'),
    status: $('status'),
    canvas: $('plot'),
    frame: $('frame'),
    note: $('note'),
    results: $('results'),
  };

  const state = {
    wasm: null, // RustKMeans (wasm-kmeans.js)
    wasmPreference: null,
    running: false,
    lastResult: null,
    animation: 0, // id of the running animation (0 = none)
    view: null, // what the canvas shows now, redrawn on resize
  };

  // --- small helpers -------------------------------------------------------------

  const fmtInt = (v) => v.toLocaleString('en-US');
  const fmtMs = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  /** Lets the browser paint (and keeps timed code out of one long task). */
  const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

  function setStatus(text, stateName) {
    ui.status.textContent = text;
    ui.status.dataset.state = stateName;
  }

  function selectedDistribution() {
    const checked = ui.distributions.querySelector('input:checked');
    return Datasets.DISTRIBUTIONS.find((d) => d.id === checked.value);
  }

  function readControls() {
    const seed = Math.min(Math.max(Math.floor(Number(ui.seed.value) || 0), 0), 4294967295);
    ui.seed.value = String(seed);
    return {
      dist: selectedDistribution(),
      n: N_STEPS[Number(ui.n.value)],
      k: Number(ui.k.value),
      seed,
      build: ui.build.value,
    };
  }

  // --- controls ------------------------------------------------------------------

  function buildControls() {
    Datasets.DISTRIBUTIONS.forEach((d, i) => {
      const label = document.createElement('label');
      label.className = 'choice' + (d.id === 'rings' ? ' failure' : '');
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'distribution';
      input.value = d.id;
      input.checked = i === 0;
      input.addEventListener('change', () => {
        ui.k.value = String(d.k); // each distribution's natural k
        syncOutputs();
      });
      label.append(input, ' ', d.label);
      ui.distributions.append(label);
    });
    ui.n.max = String(N_STEPS.length - 1);
    ui.n.addEventListener('input', syncOutputs);
    ui.k.addEventListener('input', syncOutputs);
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      runDemo().catch(showError);
    });
    syncOutputs();
  }

  function syncOutputs() {
    ui.nValue.textContent = fmtInt(N_STEPS[Number(ui.n.value)]);
    ui.kValue.textContent = ui.k.value;
    ui.note.textContent = selectedDistribution().note;
    ui.note.classList.toggle('failure', selectedDistribution().id === 'rings');
  }

  function showError(err) {
    console.error(err);
    setStatus(`Error: ${err.message}`, 'error');
    ui.results.dataset.state = 'error';
    state.running = false;
    ui.run.disabled = false;
  }

  // --- the run -----------------------------------------------------------------------

  async function ensureWasm(preference) {
    if (state.wasm && state.wasmPreference === preference) return state.wasm;
    if (state.wasm) state.wasm.free();
    state.wasm = await WasmKMeans.load(preference);
    state.wasmPreference = preference;
    return state.wasm;
  }

  /** Average ms per run of `reps` back-to-back calls of fn, and the last result. */
  function timeRuns(fn, reps) {
    let result;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) result = fn();
    return { ms: (performance.now() - t0) / reps, result };
  }

  /**
   * Times both implementations: two warm-up runs each (the first compiles: JIT
   * tiers, wasm tier-up; the second calibrates), then rounds alternating which goes
   * first, until MIN_ROUNDS and BUDGET_MS are reached.
   */
  async function timeBoth(runWasm, runJs) {
    timeRuns(runWasm, 1);
    timeRuns(runJs, 1);
    const warmWasm = timeRuns(runWasm, 1);
    const warmJs = timeRuns(runJs, 1);
    const fastest = Math.max(Math.min(warmWasm.ms, warmJs.ms), 0.005);
    const reps = Math.min(Math.ceil(MIN_SAMPLE_MS / fastest), 1000);
    const wasmMs = [];
    const jsMs = [];
    let wasm = warmWasm;
    let js = warmJs;
    const start = performance.now();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (round >= MIN_ROUNDS && performance.now() - start > BUDGET_MS) break;
      if (round % 2 === 0) {
        wasm = timeRuns(runWasm, reps);
        js = timeRuns(runJs, reps);
      } else {
        js = timeRuns(runJs, reps);
        wasm = timeRuns(runWasm, reps);
      }
      wasmMs.push(wasm.ms);
      jsMs.push(js.ms);
      setStatus(`Timing… round ${round + 1}`, 'running');
      await nextFrame();
    }
    return {
      wasm: { ...wasm.result, ms: median(wasmMs), samples: wasmMs },
      js: { ...js.result, ms: median(jsMs), samples: jsMs },
      reps,
      rounds: wasmMs.length,
    };
  }

  /** Compares the two results: label mismatches and the inertia's relative difference. */
  function compare(a, b) {
    let mismatches = 0;
    for (let i = 0; i < a.labels.length; i++) if (a.labels[i] !== b.labels[i]) mismatches++;
    const rel =
      Math.abs(a.inertia - b.inertia) / Math.max(Math.abs(a.inertia), Math.abs(b.inertia), Number.MIN_VALUE);
    return {
      labelsIdentical: mismatches === 0 && a.labels.length === b.labels.length,
      mismatches,
      inertiaRelDiff: rel,
      inertiaOk: rel <= 1e-9,
      iterationsEqual: a.iterations === b.iterations,
    };
  }

  async function runDemo() {
    if (state.running) return;
    state.running = true;
    ui.run.disabled = true;
    stopAnimation();
    ui.results.dataset.state = 'running';
    const c = readControls();
    const k = Math.min(c.k, c.n);

    setStatus('Loading WebAssembly…', 'running');
    const wasm = await ensureWasm(c.build);

    setStatus('Generating points…', 'running');
    await nextFrame();
    const x = Datasets.generate(c.dist.id, c.n, c.seed);
    wasm.setData(x, c.n, D);
    const init = wasm.initCenters(k, c.seed);
    drawFrame({ x, n: c.n, labels: null, centers: init, trail: [init], k });

    setStatus('Timing…', 'running');
    await nextFrame();
    const timing = await timeBoth(
      () => wasm.run(init, MAX_ITER, TOL),
      () => KMeansJS.fit(x, c.n, D, init, { maxIter: MAX_ITER, tol: TOL }),
    );
    const agreement = compare(timing.wasm, timing.js);

    state.lastResult = {
      distribution: c.dist.id,
      n: c.n,
      k,
      seed: c.seed,
      build: wasm.build,
      isa: wasm.isa,
      init,
      wasm: timing.wasm,
      js: timing.js,
      ratio: timing.js.ms / timing.wasm.ms,
      reps: timing.reps,
      rounds: timing.rounds,
      ...agreement,
    };
    showResults(state.lastResult);
    ui.results.dataset.state = 'done';
    setStatus(
      agreement.labelsIdentical && agreement.inertiaOk ? 'Done: both agree.' : 'Done: the results differ!',
      'done',
    );
    state.running = false;
    ui.run.disabled = false;

    animate(x, c.n, init, timing.wasm);
  }

  function showResults(r) {
    $('wasm-isa').textContent = r.isa;
    for (const [side, res] of [['wasm', r.wasm], ['js', r.js]]) {
      const t = $(`${side}-time`);
      t.textContent = fmtMs(res.ms);
      t.dataset.ms = String(res.ms);
      $(`${side}-iterations`).textContent = `${res.iterations}${res.converged ? '' : ' (max)'}`;
      $(`${side}-inertia`).textContent = res.inertia.toPrecision(12);
    }
    const ratio = $('ratio');
    ratio.dataset.ratio = String(r.ratio);
    ratio.textContent =
      r.ratio >= 1
        ? `WebAssembly is ${r.ratio.toFixed(2)}× faster than JavaScript here`
        : `JavaScript is ${(1 / r.ratio).toFixed(2)}× faster than WebAssembly here`;
    const agreement = $('agreement');
    agreement.classList.toggle('bad', !(r.labelsIdentical && r.inertiaOk));
    agreement.textContent = r.labelsIdentical
      ? `Same labels for all ${fmtInt(r.n)} points; inertia ${
          r.inertiaRelDiff === 0 ? 'bit-identical' : `differs by ${r.inertiaRelDiff.toExponential(1)} (relative)`
        }.`
      : `Labels differ for ${fmtInt(r.mismatches)} of ${fmtInt(r.n)} points!`;
    $('method').textContent =
      `n = ${fmtInt(r.n)}, k = ${r.k}, seed ${r.seed}; median of ${r.rounds} samples of ` +
      `${r.reps} run${r.reps > 1 ? 's' : ''} each (WASM build: ${r.build}).`;
  }

  // --- drawing and animation -----------------------------------------------------------

  /** Fits the canvas to its box at the device's pixel ratio; returns the 2-D context. */
  function context() {
    const canvas = ui.canvas;
    const dpr = window.devicePixelRatio || 1;
    const { width, height } = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx, width, height };
  }

  /** Maps data coordinates to the canvas, same scale on both axes, with a margin. */
  function projection(x, n, width, height) {
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, x[2 * i]);
      maxX = Math.max(maxX, x[2 * i]);
      minY = Math.min(minY, x[2 * i + 1]);
      maxY = Math.max(maxY, x[2 * i + 1]);
    }
    const margin = 16;
    const scale = Math.min(
      (width - 2 * margin) / Math.max(maxX - minX, 1e-12),
      (height - 2 * margin) / Math.max(maxY - minY, 1e-12),
    );
    const ox = (width - scale * (maxX - minX)) / 2;
    const oy = (height - scale * (maxY - minY)) / 2;
    return {
      px: (v) => ox + (v - minX) * scale,
      py: (v) => height - (oy + (v - minY) * scale), // y up
    };
  }

  /**
   * Draws one frame: points coloured by `labels` (grey when null), the centers'
   * paths so far (`trail`: one k × 2 array per step) and the current centers.
   */
  function drawFrame(view) {
    state.view = view;
    const { x, n, labels, centers, trail, k } = view;
    const { ctx, width, height } = context();
    ctx.clearRect(0, 0, width, height);
    const { px, py } = projection(x, n, width, height);
    const size = n > 20000 ? 1.2 : n > 5000 ? 1.8 : 2.6;

    // Points, one path per colour.
    const groups = labels ? k : 1;
    for (let g = 0; g < groups; g++) {
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        if (labels && labels[i] !== g) continue;
        ctx.rect(px(x[2 * i]) - size / 2, py(x[2 * i + 1]) - size / 2, size, size);
      }
      ctx.fillStyle = labels ? PALETTE[g % PALETTE.length] : '#9aa3ad';
      ctx.fill();
    }

    // Center paths.
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = 'rgba(20, 24, 31, 0.75)';
    for (let j = 0; j < k; j++) {
      ctx.beginPath();
      trail.forEach((c, s) => {
        const [cx, cy] = [px(c[2 * j]), py(c[2 * j + 1])];
        if (s === 0) ctx.moveTo(cx, cy);
        else ctx.lineTo(cx, cy);
      });
      ctx.stroke();
    }

    // Centers: a white disc in the cluster's colour ring.
    for (let j = 0; j < k; j++) {
      ctx.beginPath();
      ctx.arc(px(centers[2 * j]), py(centers[2 * j + 1]), 6, 0, 2 * Math.PI);
      ctx.fillStyle = '#fff';
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = labels ? PALETTE[j % PALETTE.length] : '#14181f';
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#14181f';
      ctx.stroke();
    }
  }

  function stopAnimation() {
    state.animation = 0;
  }

  /**
   * Animates the Lloyd steps. The steps' centers come from an extra, untimed run of
   * the JavaScript k-means with a per-iteration callback (the timed runs have none);
   * it is the same computation, checked above to give the same labels. Each frame
   * colours the points by their nearest current center; the last frame shows the
   * WebAssembly run's own labels and centers.
   */
  function animate(x, n, init, final) {
    const k = init.length / D;
    const steps = [Float64Array.from(init)];
    KMeansJS.fit(x, n, D, init, {
      maxIter: MAX_ITER,
      tol: TOL,
      onIteration: (_, centers) => steps.push(Float64Array.from(centers)),
    });
    // Frames: every step, or an even subset including the first and the last.
    const count = Math.min(steps.length, MAX_FRAMES);
    const frames = Array.from({ length: count }, (_, f) =>
      count === 1 ? 0 : Math.round((f * (steps.length - 1)) / (count - 1)),
    );
    const labels = new Int32Array(n);
    const interval = Math.min(Math.max(ANIMATION_MS / count, 60), 400);
    const id = (state.animation = performance.now());
    let f = 0;
    const tick = () => {
      if (state.animation !== id) return; // a new run started
      const s = frames[f];
      const last = f === frames.length - 1;
      drawFrame({
        x,
        n,
        k,
        labels: last ? final.labels : KMeansJS.nearest(x, n, D, steps[s], labels),
        centers: last ? final.centers : steps[s],
        trail: steps.slice(0, s + 1),
      });
      ui.frame.textContent =
        s === 0 ? 'initial centers' : `iteration ${s} of ${steps.length - 1}${last ? ' (final)' : ''}`;
      f++;
      if (!last) setTimeout(() => requestAnimationFrame(tick), interval);
      else state.animation = 0;
    };
    tick();
  }

  // --- start ----------------------------------------------------------------------------

  buildControls();
  window.addEventListener('resize', () => state.view && drawFrame(state.view));

  const ready = ensureWasm(ui.build.value)
    .then((wasm) => {
      const simd = WasmKMeans.simdSupported() ? 'this browser has WebAssembly SIMD' : 'no WebAssembly SIMD here';
      setStatus(`Ready: ${wasm.build} build (${simd}).`, 'ready');
    })
    .catch(showError);

  /** For tests and the console. */
  window.demo = {
    ready,
    run: runDemo,
    get lastResult() {
      return state.lastResult;
    },
    get animating() {
      return state.animation !== 0;
    },
  };
})();
