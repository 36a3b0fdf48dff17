// An idle guest without a tick (idle-tick with nohz, src/sim/workloads/idle-tick.ts): it
// arms no timer and HLTs; an interrupt, should one come, returns at once. (idle-tick's HZ
// tick is cyclictest with fixed parameters: src/sim/wasm-engine-tscdl.ts configures it so.)

import { X_HALT, X_IRET } from "./engine_record";

/** GuestMachine.step. */
export function idleNohzStep(): i32 {
  return X_HALT;
}

/** GuestMachine.interruptStep. */
export function idleNohzInterruptStep(): i32 {
  return X_IRET;
}
