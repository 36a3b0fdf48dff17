// The BigInt reference model, one module per modelled kernel area (see each file).
export * from "./math64.js";
export * from "./time-scale.js";
export * from "./tsc.js";
export * from "./lapic-timer.js";
export * from "./advance.js";
export * from "./hv-timer.js";
export * from "./batch.js";
