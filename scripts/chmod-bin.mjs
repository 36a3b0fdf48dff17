// Makes the CLI entries executable (tsc and esbuild do not set the mode bits): the
// package's bin (the bundle), its earlier name dist/bundle/tscsim.js and the unbundled dist/cli/main.js.
import { chmodSync, existsSync } from "node:fs";

for (const path of ["../dist/bundle/tscsim.cjs", "../dist/bundle/tscsim.js", "../dist/cli/main.js"]) {
  const bin = new URL(path, import.meta.url);
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
