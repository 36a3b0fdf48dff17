// Local APIC register offsets and LVT bits used by the timer (spec §4.1).

export const APIC_LVR = 0x30;
export const APIC_EOI = 0xb0;
export const APIC_SPIV = 0xf0;
export const APIC_LVTT = 0x320;
export const APIC_TMICT = 0x380;
export const APIC_TMCCT = 0x390;
export const APIC_TDCR = 0x3e0;

/** KVM reports version 0x14 with 6 LVT entries (kvm-unit-tests "apic existence"). */
export const APIC_VERSION = 0x14 | (5 << 16);

export const APIC_SPIV_APIC_ENABLED = 1 << 8;
export const APIC_LVT_MASKED = 1 << 16;
export const APIC_VECTOR_MASK = 0xff;
/** LVT_MASK of lapic.c: vector, delivery status and mask bits. */
export const APIC_LVT_BITS = APIC_LVT_MASKED | (1 << 12) | APIC_VECTOR_MASK;

export const TIMER_MODE_SHIFT = 17;
export const TIMER_MODE_ONESHOT = 0;
export const TIMER_MODE_PERIODIC = 1;
export const TIMER_MODE_TSCDEADLINE = 2;
export const LVTT_PERIODIC = TIMER_MODE_PERIODIC << TIMER_MODE_SHIFT;
export const LVTT_TSCDEADLINE = TIMER_MODE_TSCDEADLINE << TIMER_MODE_SHIFT;

/** timer_mode_mask: 3 << 17 with the TSC-deadline CPUID bit, else 1 << 17 (spec §4.1). */
export function timerModeMask(tscDeadlineCpuid: boolean): number {
  return tscDeadlineCpuid ? 3 << TIMER_MODE_SHIFT : 1 << TIMER_MODE_SHIFT;
}
