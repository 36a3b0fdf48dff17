// vCPU index <-> (VM, vCPU number within the VM). vCPUs are numbered VM by VM, so each
// VM's first index is all it takes: no array per vCPU (issue #3 §9, memory per vCPU).

export class VcpuIds {
  /** vCPUs in all. */
  readonly count: number;
  /** The first index of each VM, then the total. */
  private readonly firstOf: number[];

  constructor(vcpusPerVm: readonly number[]) {
    this.firstOf = [0];
    for (const n of vcpusPerVm) this.firstOf.push(this.firstOf[this.firstOf.length - 1]! + n);
    this.count = this.firstOf[this.firstOf.length - 1]!;
  }

  /** The VM of vCPU index v (0 <= v < count): the last VM whose first index is <= v. */
  vmOf(v: number): number {
    const f = this.firstOf;
    let lo = 0;
    let hi = f.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (f[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The index of VM vm's first vCPU. */
  firstIndexOf(vm: number): number {
    return this.firstOf[vm]!;
  }

  /** vCPU index v's number within its VM. */
  vcpuInVm(v: number): number {
    return v - this.firstOf[this.vmOf(v)]!;
  }
}
