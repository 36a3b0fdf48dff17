// kvm_vcpu_halt's polling-window update (virt/kvm/kvm_main.c; seed-history §6):
// grow_halt_poll_ns and shrink_halt_poll_ns after each halt, in unsigned int arithmetic.

import type { HaltPollConfig } from "../scenario/types.js";

const U32 = 2 ** 32;

/** grow_halt_poll_ns: ×grow (u32), at least grow_start; grow 0 disables growth. */
export function growHaltPollNs(pollNs: number, cfg: HaltPollConfig): number {
  if (cfg.grow === 0) return pollNs;
  const val = (pollNs * cfg.grow) % U32;
  return val < cfg.growStartNs ? cfg.growStartNs : val;
}

/** shrink_halt_poll_ns: ÷shrink, or 0 when shrink is 0; below grow_start -> 0. */
export function shrinkHaltPollNs(pollNs: number, cfg: HaltPollConfig): number {
  const val = cfg.shrink === 0 ? 0 : Math.floor(pollNs / cfg.shrink);
  return val < cfg.growStartNs ? 0 : val;
}

/**
 * The window after a halt that lasted haltNs (polling plus blocking), for a valid
 * wake-up: unchanged if the halt ended within the window; shrink after a long block;
 * grow after a short halt the window missed; 0 when the maximum is 0.
 */
export function nextHaltPollNs(pollNs: number, haltNs: number, cfg: HaltPollConfig): number {
  const max = cfg.maxNs;
  if (max === 0) return 0;
  if (haltNs <= pollNs) return pollNs;
  if (pollNs !== 0 && haltNs > max) return shrinkHaltPollNs(pollNs, cfg);
  if (pollNs < max && haltNs < max) return growHaltPollNs(pollNs, cfg);
  return pollNs;
}
