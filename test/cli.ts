// `tscsim` as a user runs it, from the TypeScript sources (tsx) on the debug wasm build:
// a real process, its exit code and both output streams.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

export function tscsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, ["src/cli/main.ts", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, TSCSIM_WASM: "debug" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
