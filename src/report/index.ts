// Rendering a run's result (issue #3 §6, §8).

export { renderTable, type TableOptions } from "./table.js";
export { renderJson, stableJson, type JsonOptions } from "./json.js";
export { renderCyclictestLine, cyclictestStats, type CyclictestStats, type CyclictestLineOptions } from "./cyclictest.js";
