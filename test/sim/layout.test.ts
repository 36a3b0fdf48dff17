// The per-vCPU record in wasm memory (assembly/sim/vcpu_layout.ts): the host only reaches
// it through exported functions, but its size is what the memory-per-vCPU figures count.

import { expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";

test("a vCPU's 64-bit timer state is 184 bytes of wasm memory", () => {
  expect(wasm.vcpuStride()).toBe(184);
});
