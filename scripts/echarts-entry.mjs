// The part of Apache ECharts a report uses, bundled by scripts/bundle-echarts.mjs (esbuild) into
// build/echarts-report.min.js and inlined into every report: bar, line and heatmap
// charts, their axes, tooltip, legend, title, visual map (the heatmap's colour scale)
// and the SVG renderer (marks are DOM nodes: crisp when zoomed, and countable by tests).
import * as echarts from "echarts/core";
import { BarChart, LineChart, HeatmapChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent, TitleComponent, VisualMapComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, TitleComponent, VisualMapComponent, SVGRenderer]);
globalThis.echarts = echarts;
