// The metrics layer's public surface (issue #3 §7).

export type * from "./types.js";
export { VcpuMetrics, type VcpuMetricsContext } from "./vcpu-metrics.js";
export { ExitReason, EXIT_REASON_NAMES, TimerBackend, VCPU_SLOTS } from "./vcpu-slots.js";
export type { VcpuTotals } from "./vcpu-totals.js";
export { HostMetrics, AGGREGATE_SERIES_POINTS, PER_VCPU_HISTOGRAMS_MAX_VCPUS, defaultMetricsOptions, type MetricsOptions, type EngineVcpus } from "./host-metrics.js";
export { CallbacksPerMs } from "./callback-rate.js";
export { aggregate, aggregateHost } from "./aggregate.js";
export { LatencyHistogram32, LatencyHistogram64, type LatencyHistogram, SIGNIFICANT_DIGITS } from "./histogram.js";
