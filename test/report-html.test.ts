// `tscsim report` in a real browser: headless Chromium (Debian's /usr/bin/chromium, which
// .ci/run installs) opens each kind of page from a file: no console error, no network
// request (the file itself is the only load), and drawn SVG marks in every chart; a
// screenshot is a non-blank PNG of the viewport's size.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chromium, type BrowserContext } from "playwright-core";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { renderJson } from "../src/report/json.js";
import { renderCompareJson } from "../src/report/compare.js";
import { compactResultJson, okLine } from "../src/sweep/line.js";
import { reportFromFile } from "../src/report/html/index.js";
import { readPng } from "./png.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const VIEWPORT = { width: 1200, height: 900 };

// CI installs Chromium (.ci/run); a developer machine without it skips, CI never does.
const haveBrowser = existsSync(CHROMIUM) || process.env.CI !== undefined;

const small = ["duration=100ms", "vms.0.vcpus=2", "vms.0.workload.printSummary=false"];

describe.skipIf(!haveBrowser)("HTML report in headless Chromium", () => {
  let dir: string;
  let ctx: BrowserContext;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tscsim-report-"));
    // A run with its histograms carried.
    const run = runScenario(loadScenario("cyclictest", small), { histograms: true });
    writeFileSync(join(dir, "run.json"), renderJson(run.result, { includeWallMs: false }));
    // A compare, era v4.20 against mainline.
    const side = (era: string) => runScenario(loadScenario("cyclictest", [...small, `kvm.era=${era}`]), { histograms: true }).result;
    writeFileSync(join(dir, "compare.json"), renderCompareJson({ scenario: "cyclictest", seed: 1, sets: small, a: { overrides: ["kvm.era=v4.20"], result: side("v4.20") }, b: { overrides: ["kvm.era=mainline"], result: side("mainline") } }));
    // A 2 × 2 sweep with two seeds, lines as `tscsim sweep` writes them.
    const lines: string[] = [];
    for (const advance of ["off", "adaptive"]) {
      for (const era of ["v5.1", "v5.4"]) {
        for (const seed of [1, 2]) {
          const params = { "kvm.timerAdvance": advance, "kvm.era": era };
          const r = runScenario(loadScenario("cyclictest", [...small, `kvm.timerAdvance=${advance}`, `kvm.era=${era}`, `seed=${seed}`]), { histograms: true }).result;
          lines.push(okLine(`${advance}-${era}-${seed}`, params, seed, compactResultJson(r), 1));
        }
      }
    }
    writeFileSync(join(dir, "sweep.jsonl"), lines.join("\n") + "\n");
    for (const kind of ["run", "compare", "sweep"]) {
      const input = join(dir, kind === "sweep" ? "sweep.jsonl" : `${kind}.json`);
      const out = join(dir, `${kind}.html`);
      const { kind: detected, html } = reportFromFile(input);
      expect(detected).toBe(kind);
      writeFileSync(out, html);
      files[kind] = out;
    }
    ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "tscsim-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: VIEWPORT,
    });
  });

  afterAll(async () => {
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(kind: string) {
    const page = await ctx.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(files[kind]!).href;
    await page.goto(url, { waitUntil: "load" });
    // Drawn marks: the SVG shapes a chart has, less those it keeps when its series are
    // emptied (axes, grid lines, legend and colour scale stay). Measured in the page.
    const marks = await page.$$eval("[data-chart]", (els) => {
      type Instance = { getOption(): { series: object[] }; setOption(o: object): void };
      const echarts = (globalThis as unknown as { echarts: { getInstanceByDom(el: Element): Instance } }).echarts;
      const shapes = (e: Element) => e.querySelectorAll("svg path, svg rect, svg polyline, svg polygon").length;
      return els.map((e) => {
        const full = shapes(e);
        const inst = echarts.getInstanceByDom(e);
        inst.setOption({ series: inst.getOption().series.map((s) => ({ ...s, data: [] })) });
        return [(e as HTMLElement).dataset.chart!, full - shapes(e)] as const;
      });
    });
    await page.reload({ waitUntil: "load" });
    return { page, errors, requests: requests.filter((r, i) => requests.indexOf(r) === i), url, marks: Object.fromEntries(marks) as Record<string, number> };
  }

  test.each([
    ["run", ["latency-histogram", "latency-percentiles", "advance", "exits", "cpu"]],
    ["compare", ["latency-histogram", "latency-percentiles", "advance", "exits", "cpu"]],
    ["sweep", ["sweep-heatmap", "sweep-lines", "sweep-histograms"]],
  ])("%s page: no console error, no request but the file, marks in every chart", async (kind, charts) => {
    const { page, errors, requests, url, marks } = await open(kind);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    expect(Object.keys(marks)).toEqual(charts);
    for (const c of charts) expect(marks[c], c).toBeGreaterThan(0);
    // Bars: one per VM and non-zero exit reason (msrWrite and hlt at least).
    if (kind !== "sweep") expect(marks.exits).toBeGreaterThanOrEqual(kind === "compare" ? 4 : 2);
    await page.close();
  });

  test("a compare overlays A and B: two histogram lines", async () => {
    const { page } = await open("compare");
    const legend = await page.$$eval("[data-chart='latency-histogram'] svg text", (els) => els.map((e) => e.textContent));
    expect(legend).toContain("A");
    expect(legend).toContain("B");
    await page.close();
  });

  test("screenshot: a non-blank PNG of the viewport's size", async () => {
    const { page } = await open("run");
    const png = readPng(await page.screenshot());
    await page.close();
    expect([png.width, png.height]).toEqual([VIEWPORT.width, VIEWPORT.height]);
    let nonWhite = 0;
    const colours = new Set<number>();
    for (let i = 0; i < png.rgba.length; i += 4) {
      const r = png.rgba[i]!, g = png.rgba[i + 1]!, b = png.rgba[i + 2]!;
      if (r < 240 || g < 240 || b < 240) nonWhite++;
      colours.add((r << 16) | (g << 8) | b);
    }
    const pixels = png.width * png.height;
    // Text, axes and the histogram line: a blank or failed page is all white.
    expect(nonWhite / pixels).toBeGreaterThan(0.01);
    expect(colours.size).toBeGreaterThan(20);
  });

  test("the page embeds what it draws: no external reference of any kind", () => {
    const html = readFileSync(files.run!, "utf8");
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
  });
});
