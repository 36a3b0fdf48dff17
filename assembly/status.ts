// Expected outcomes of the modelled kernel paths, as values (architecture.md:
// "Expected outcomes are values, not exceptions"). Shared with the host through
// the generated bindings.

export enum Status {
  Ok = 0,
  /** The CPU would raise #DE (quotient >= 2^64); u64_shl_div_u64's "return 1". */
  Overflow = 1,
  /** Division by zero (#DE). */
  DivideByZero = 2,
  /** vmx_set_hv_timer's -ERANGE: the delta does not fit the preemption timer. */
  ERange = 3,
  /** KVM refuses the request with -EINVAL. */
  EInval = 4,
}
