// What KVM_CAP_X86_DISABLE_EXITS and pi_inject_timer decide for one VM's vCPUs, computed
// once per VM and handed to both engines (the TypeScript state machine and the wasm
// cyclictest engine), so the two cannot disagree on them.

import type { ScenarioConfig, VmConfig } from "../scenario/types.js";

export interface GuestExitPolicy {
  /**
   * kvm_hlt_in_guest || kvm_mwait_in_guest: the guest's HLT (or its MWAIT idle) does not
   * exit. The vCPU stays in guest mode, its physical CPU idles, and an interrupt wakes it
   * after host.delays.cpuIdleExit; the vCPU never reaches kvm_vcpu_block (no halt polling,
   * no hv -> sw switch, no scheduler wake-up).
   */
  idleInGuest: boolean;
  /** kvm_can_post_timer_interrupt: pi_inject_timer && APICv && (MWAIT or HLT in the guest). */
  canPostTimer: boolean;
  /**
   * kvm_can_use_hv_timer, given that the host would use the preemption timer at all:
   * not with MWAIT in the guest (deep C-states stop the preemption timer) and not when the
   * timer interrupt can be posted.
   */
  hvTimer: boolean;
}

/** kvm_can_post_timer_interrupt / kvm_can_use_hv_timer (lapic.c) for `vm` on this host. */
export function guestExitPolicy(config: ScenarioConfig, vm: VmConfig, hostHvTimer: boolean): GuestExitPolicy {
  const hltInGuest = vm.disableExits.includes("hlt");
  const mwaitInGuest = vm.disableExits.includes("mwait");
  const idleInGuest = hltInGuest || mwaitInGuest;
  const canPostTimer = config.kvm.postedTimerInterrupts && config.kvm.apicv && idleInGuest;
  return { idleInGuest, canPostTimer, hvTimer: hostHvTimer && !(mwaitInGuest || canPostTimer) };
}
