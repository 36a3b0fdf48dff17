// Which simulation the wasm instance's memory holds: each Simulation reserves it anew
// (simMemoryReserve frees the previous one's arrays), so what a finished run left there
// — the wasm engine's per-vCPU totals read when the results are written — is valid only
// until the next one starts.

let started = 0;

/** A new simulation takes the wasm memory (Simulation's constructor). */
export function simulationStarting(): void {
  started++;
}

/** The number of the latest simulation to take the wasm memory. */
export function currentSimulation(): number {
  return started;
}
