// The per-vCPU record in wasm memory (assembly/sim/vcpu_layout.ts): the host only reaches
// it through exported functions, but its size is what the memory-per-vCPU figures count.

import { expect, test } from "vitest";
import { wasm } from "../../src/wasm.js";

test("a vCPU's 64-bit timer state is 184 bytes of wasm memory, 112 in the wasm engine's layout (two registers, no proposals)", () => {
  expect(wasm.vcpuStride(false)).toBe(184);
  expect(wasm.vcpuStride(true)).toBe(112);
});

test("the wasm engine's record and metric block are 112 and 160 bytes", () => {
  expect(wasm.ESTRIDE.value).toBe(112);
  expect(wasm.M_STRIDE.value).toBe(160);
});
