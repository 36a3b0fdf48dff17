// Bundles the part of ECharts a report uses (scripts/echarts-entry.mjs) into
// build/echarts-report.min.js, which `tscsim report` inlines into every HTML file.
// ECharts' Apache-2.0 notice is kept in the bundle (legal comments inline).
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../node_modules/echarts/package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("./echarts-entry.mjs", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "iife",
  legalComments: "inline",
  target: "es2020",
  outfile: new URL("../build/echarts-report.min.js", import.meta.url).pathname,
  banner: { js: `/*! Apache ECharts ${version} (a subset: bar, line, heatmap; SVG renderer). Copyright The Apache Software Foundation. Licensed under the Apache License, Version 2.0. */` },
  logLevel: "warning",
});
