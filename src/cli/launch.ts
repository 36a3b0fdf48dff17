#!/usr/bin/env node
// The `tscsim` command as installed (package.json `bin`, built to dist/bundle/tscsim.cjs
// by scripts/bundle-cli.mjs): runs the CLI bundle beside it, dist/bundle/cli.cjs,
// with a V8 code cache (code-cache.ts). The build fills in the bundle's content hash;
// without one (this file run unbundled) the bundle runs without a cache.

import { fileURLToPath } from "node:url";
import { runWithCodeCache } from "./code-cache.js";

declare const TSCSIM_BUNDLE_HASH: string | undefined;

const bundleHash = typeof TSCSIM_BUNDLE_HASH === "string" ? TSCSIM_BUNDLE_HASH : null;
runWithCodeCache(fileURLToPath(new URL("./cli.cjs", import.meta.url)), bundleHash, process.argv.slice(2), process.env);
