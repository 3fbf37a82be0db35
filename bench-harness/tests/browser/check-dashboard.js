// Loads a generated dashboard.html in headless Chromium (Debian's package, driven by
// playwright-core), checks that it renders its charts with no console error and no
// network request, exercises the filters and the tooltip, and saves PNG screenshots
// of the page and of any SVG figures given.
//
//   node check-dashboard.js DASHBOARD.html OUT_DIR [FIGURE.svg ...]
//
// Prints one JSON object; exits 1 when a check fails.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { pathToFileURL } = require("url");

async function main() {
  const [html, outDir, ...figures] = process.argv.slice(2);
  if (!html || !outDir) {
    console.error("usage: node check-dashboard.js DASHBOARD.html OUT_DIR [FIGURE.svg ...]");
    process.exit(2);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1400, height: 1000 },
  });
  const result = { errors: [], external: [], checks: {}, failures: [], screenshots: [] };
  try {
    const page = await context.newPage();
    page.on("console", m => { if (m.type() === "error") result.errors.push("console: " + m.text()); });
    page.on("pageerror", e => result.errors.push("pageerror: " + e.message));
    page.on("request", r => { if (!/^(file|data|about|blob):/.test(r.url())) result.external.push(r.url()); });
    await page.goto(pathToFileURL(path.resolve(html)).href, { waitUntil: "load" });

    const count = sel => page.locator(sel).count();
    const c = result.checks;
    c.svgElements = await count("svg *");
    c.points = await count("#facets svg circle.pt");
    c.panels = await count("#facets svg");
    c.winnerCells = await count("#winners rect.cellbox");
    c.glanceRows = (await count("#glance tr")) - 1;
    c.threadPoints = await count("#threads svg circle.pt");

    // Filters: one contestant fewer means fewer points.
    const boxes = page.locator("#who input[type=checkbox]");
    c.contestants = await boxes.count();
    await boxes.first().uncheck();
    c.pointsWithoutFirst = await count("#facets svg circle.pt");
    await boxes.first().check();
    // d and k_max filters: a single d shows fewer panels.
    const ds = await page.locator("#fd option").allTextContents();
    if (ds.length > 2) {
      await page.selectOption("#fd", ds[1]);
      c.panelsOneD = await count("#facets svg");
      await page.selectOption("#fd", "all");
    }
    const ks = await page.locator("#fk option").allTextContents();
    if (ks.length > 2) {
      await page.selectOption("#fk", ks[1]);
      c.panelsOneK = await count("#facets svg");
      await page.selectOption("#fk", "all");
    }
    // Every metric draws.
    for (const m of ["speedup", "rss", "ari", "wall"]) {
      const disabled = await page.locator(`#metric option[value=${m}]`).isDisabled();
      if (disabled) continue;
      await page.selectOption("#metric", m);
      c["points_" + m] = await count("#facets svg circle.pt");
    }
    // Tooltip on hover.
    await page.locator("#facets svg circle.pt").first().hover();
    c.tooltipVisible = await page.locator("#tip").isVisible();
    c.tooltip = await page.locator("#tip").textContent();
    await page.mouse.move(2, 2);

    const shot = path.join(outDir, "dashboard.png");
    await page.screenshot({ path: shot, fullPage: true });
    result.screenshots.push(shot);

    const need = (ok, what) => { if (!ok) result.failures.push(what); };
    need(result.errors.length === 0, "console or page errors");
    need(result.external.length === 0, "network requests");
    need(c.svgElements > 0 && c.points > 0, "no chart points drawn");
    need(c.winnerCells > 0, "no winner cells drawn");
    need(c.glanceRows > 0, "empty at-a-glance table");
    need(c.pointsWithoutFirst < c.points, "unchecking a contestant removed no point");
    need(c.panelsOneD === undefined || c.panelsOneD < c.panels, "the d filter kept every panel");
    need(c.panelsOneK === undefined || c.panelsOneK < c.panels, "the k_max filter kept every panel");
    need(c.tooltipVisible && /n=/.test(c.tooltip || ""), "no tooltip on hover");

    for (const fig of figures) {
      const fpage = await context.newPage();
      fpage.on("pageerror", e => result.errors.push(`pageerror in ${fig}: ${e.message}`));
      await fpage.goto(pathToFileURL(path.resolve(fig)).href, { waitUntil: "load" });
      const size = await fpage.evaluate(() => {
        const s = document.documentElement;
        return { w: parseInt(s.getAttribute("width"), 10) || 1200, h: parseInt(s.getAttribute("height"), 10) || 800 };
      });
      await fpage.setViewportSize({ width: size.w, height: size.h });
      const out = path.join(outDir, path.basename(fig).replace(/\.svg$/, ".png"));
      await fpage.screenshot({ path: out });
      result.screenshots.push(out);
      await fpage.close();
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
  process.exit(result.failures.length ? 1 : 0);
}

main().catch(e => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
