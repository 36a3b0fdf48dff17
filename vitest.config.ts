import { defineConfig } from "vitest/config";

// Tests run on the debug wasm build (assertions on), per architecture.md.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    env: { TSCSIM_WASM: "debug" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
