// The metrics `tscsim summarize` aggregates when --metric is not given. Its own module so
// that the command's --help names them without loading the summariser (docs/performance.md).

export const DEFAULT_METRICS = ["latency.ns.p99", "latency.ns.mean", "early.count", "spinNs", "exits.msrWrite"] as const;
