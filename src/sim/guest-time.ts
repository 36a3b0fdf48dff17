// The guest's own ns -> TSC-cycles conversion, as a guest kernel calibrated at `khz`
// computes an interval: floor(ns * khz / 10^6) in doubles (exact while ns * khz < 2^53).
// Not KVM's nsec_to_cycles (src/math/time-scale.ts nsecToCycles): the workloads and the
// wasm cyclictest engine's configuration must agree on this exact expression.

/** Guest TSC cycles in `ns` at `khz` (kHz): Math.floor((ns * khz) / 1e6). */
export function guestCyclesOfNs(ns: number, khz: number): number {
  return Math.floor((ns * khz) / 1e6);
}
