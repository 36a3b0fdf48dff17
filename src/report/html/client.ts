// The page's own script. It runs in the browser, not in Node: page.ts embeds this
// function's source text (Function.prototype.toString), so it must stay
// self-contained — no imports, no reference to anything outside its body.

/** Draws every chart of the page from its embedded JSON, with ECharts' SVG renderer. */
export function drawReportCharts(): void {
  const g = globalThis as unknown as {
    document: {
      getElementById(id: string): { textContent: string | null } | null;
      querySelectorAll(sel: string): ArrayLike<{ dataset: Record<string, string> }>;
    };
    echarts: { init(el: unknown, theme: null, opts: { renderer: string }): { setOption(o: unknown): void; resize(): void } };
    addEventListener(type: string, f: () => void): void;
  };
  const data = JSON.parse(g.document.getElementById("tscsim-report-data")!.textContent!) as { charts: { id: string; option: unknown }[] };
  const instances: { resize(): void }[] = [];
  for (const chart of data.charts) {
    const el = g.document.getElementById(`chart-${chart.id}`);
    const instance = g.echarts.init(el, null, { renderer: "svg" });
    instance.setOption(chart.option);
    instances.push(instance);
  }
  g.addEventListener("resize", () => {
    for (const i of instances) i.resize();
  });
}
