// Browser test: loads the demo page in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core, kept off the network) from a local HTTP server, runs
// every distribution with both WebAssembly builds through the page's own controls,
// and checks that
//   - WASM and JavaScript give the same labels and inertia (1e-9 relative),
//   - both timings and their ratio are shown,
//   - no console error or page error occurs,
// then opens the page from file:// and runs it once more. Saves screenshots and the
// measured timings to demo/tests/out/.
//
//   node demo/tests/browser.test.mjs      (after `npm ci` in demo/tests)
//
// Environment: CHROMIUM (default /usr/bin/chromium), DEMO_N (points per run, default
// 20000), DEMO_BUILDS (default "simd128,scalar").

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const site = join(here, '..', 'site');
const out = join(here, 'out');
const N = Number(process.env.DEMO_N ?? 20000);
const BUILDS = (process.env.DEMO_BUILDS ?? 'simd128,scalar').split(',');
const N_STEPS = [500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]; // as app.js
const DISTRIBUTIONS = ['blobs', 'anisotropic', 'unequal', 'uniform', 'moons', 'rings'];
// Extra runs at larger k (the SIMD kernel works on blocks of 8 centers).
const EXTRA = [['blobs', 8], ['blobs', 16]];

assert.ok(N_STEPS.includes(N), `DEMO_N must be one of ${N_STEPS.join(', ')}`);
mkdirSync(out, { recursive: true });

// --- a minimal static file server for demo/site ----------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
};

function serve(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// --- the browser ------------------------------------------------------------------

const profile = mkdtempSync(join(tmpdir(), 'kmeans-demo-chromium-'));
const server = await serve(site);
const base = `http://127.0.0.1:${server.address().port}/`;
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1280, height: 860 },
});

const problems = []; // console errors and page errors, from every page
function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  // Nothing but the local server (and data: URLs) may be requested.
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(base) && !url.startsWith('data:') && !url.startsWith('file:')) {
      problems.push(`unexpected request: ${url}`);
    }
  });
}

/** Selects the controls, presses Run, waits for the result, and checks it. */
async function runOnce(page, dist, n, k = null) {
  await page.check(`input[name=distribution][value=${dist}]`); // also sets its natural k
  const setSlider = (id, value) =>
    page.evaluate(
      ([id, value]) => {
        const slider = document.getElementById(id);
        slider.value = String(value);
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      },
      [id, value],
    );
  await setSlider('n', N_STEPS.indexOf(n));
  // Selecting the distribution that is already selected keeps the k slider: set it.
  k ??= await page.evaluate((id) => Datasets.DISTRIBUTIONS.find((d) => d.id === id).k, dist);
  await setSlider('k', k);
  await page.evaluate(() => (window.previousResult = window.demo.lastResult));
  await page.click('#run');
  await page.waitForFunction(
    () =>
      document.getElementById('results').dataset.state !== 'running' &&
      window.demo.lastResult !== window.previousResult,
    null,
    { timeout: 120_000 },
  );
  const state = await page.getAttribute('#results', 'data-state');
  assert.equal(state, 'done', `${dist}: the page reported ${await page.textContent('#status')}`);

  // Labels and inertia compared here, independently of the page's own verdict.
  const r = await page.evaluate(() => {
    const r = window.demo.lastResult;
    let mismatches = 0;
    for (let i = 0; i < r.wasm.labels.length; i++) if (r.wasm.labels[i] !== r.js.labels[i]) mismatches++;
    return {
      build: r.build,
      isa: r.isa,
      k: r.k,
      mismatches,
      lengths: [r.wasm.labels.length, r.js.labels.length],
      inertia: [r.wasm.inertia, r.js.inertia],
      iterations: [r.wasm.iterations, r.js.iterations],
      ms: [r.wasm.ms, r.js.ms],
      reps: r.reps,
      rounds: r.rounds,
      ratio: r.ratio,
      shown: {
        wasm: document.getElementById('wasm-time').textContent,
        js: document.getElementById('js-time').textContent,
        ratio: document.getElementById('ratio').textContent,
        agreement: document.getElementById('agreement').textContent,
      },
    };
  });
  assert.deepEqual(r.lengths, [n, n], `${dist}: label counts`);
  assert.equal(r.mismatches, 0, `${dist}: ${r.mismatches} labels differ`);
  const [a, b] = r.inertia;
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)), `${dist}: inertia ${a} vs ${b}`);
  assert.equal(r.iterations[0], r.iterations[1], `${dist}: iterations`);
  for (const side of ['wasm', 'js']) {
    const shown = Number(r.shown[side]);
    assert.ok(Number.isFinite(shown) && shown > 0, `${dist}: ${side} time shown as '${r.shown[side]}'`);
  }
  assert.match(r.shown.ratio, /faster/, `${dist}: ratio shown`);
  assert.match(r.shown.agreement, /^Same labels/, `${dist}: agreement shown`);
  return r;
}

let failed = false;
const rows = [];
/** Keeps one measured row for the timings table and prints it. */
function record(build, dist, r) {
  const [wasmMs, jsMs] = r.ms;
  rows.push({ build, dist, n: N, k: r.k, iterations: r.iterations[0], wasm_ms: wasmMs, js_ms: jsMs, ratio: r.ratio });
  console.log(
    `${build.padEnd(8)} ${dist.padEnd(12)} n=${N} k=${String(r.k).padStart(2)} iter=${String(r.iterations[0]).padStart(3)} ` +
      `wasm ${wasmMs.toFixed(3)} ms  js ${jsMs.toFixed(3)} ms  js/wasm ${r.ratio.toFixed(2)}x  (${r.rounds}×${r.reps} runs) labels identical`,
  );
}
try {
  const page = await context.newPage();
  watch(page);
  await page.goto(base);
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready');

  for (const build of BUILDS) {
    await page.selectOption('#build', build);
    for (const dist of DISTRIBUTIONS) {
      const r = await runOnce(page, dist, N);
      assert.equal(r.build, build);
      assert.equal(r.isa, build, `${build} build runs the ${build} kernel`);
      record(build, dist, r);
      if (build === BUILDS[0]) {
        // Let the animation finish, then keep a picture of the final frame.
        await page.waitForFunction(() => !window.demo.animating, null, { timeout: 60_000 });
        await page.screenshot({ path: join(out, `demo-${dist}.png`), fullPage: true });
      }
    }
    for (const [dist, k] of EXTRA) {
      const r = await runOnce(page, dist, N, k);
      assert.equal(r.k, k);
      record(build, dist, r);
    }
  }

  // The same page from file:// (classic scripts and the embedded modules).
  const filePage = await context.newPage();
  watch(filePage);
  await filePage.goto(pathToFileURL(join(site, 'index.html')).href);
  await filePage.waitForFunction(() => document.getElementById('status').dataset.state === 'ready');
  await runOnce(filePage, 'moons', 5000);
  console.log('file://   moons        n=5000 labels identical');

  assert.deepEqual(problems, [], 'console errors, page errors or network requests');
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}

// --- the timings, for the README -----------------------------------------------------

const ua = await (async () => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? '';
  } catch {
    return '';
  }
})();
writeFileSync(join(out, 'timings.json'), JSON.stringify({ cpu: ua, date: new Date().toISOString(), rows }, null, 2));
const table = [
  '| build | distribution | n | k | iterations | WASM ms | JS ms | JS / WASM |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.build} | ${r.dist} | ${r.n} | ${r.k} | ${r.iterations} | ${r.wasm_ms.toFixed(3)} | ${r.js_ms.toFixed(3)} | ${r.ratio.toFixed(2)}x |`,
  ),
].join('\n');
writeFileSync(join(out, 'timings.md'), `${table}\n`);

if (failed || problems.length) {
  console.error('browser test FAILED');
  process.exit(1);
}
console.log(`browser test passed; screenshots and timings in ${out}`);
