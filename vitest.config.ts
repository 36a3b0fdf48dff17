import { defineConfig } from "vitest/config";

// Tests run on the debug wasm build (assertions on), per architecture.md.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    env: { TSCSIM_WASM: "debug" },
    // A code-cache directory for the run (test/global-setup.ts), so tests never write ~/.cache.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
