// npm's `prepare`: `npm run build`, unless the build in build/ and dist/ was made from
// exactly these sources. Why: `npx tscsim` in a clone installs the clone into npm's npx
// cache to link its bin, and npm runs `prepare` for that install, which rebuilt
// everything (a minute and more, with nothing printed) on the first `npx tscsim` after
// `npm ci` had just built it. The inputs' SHA-256 (sources, scripts, configurations, the
// lock file) is kept in build/.prepare-stamp after a build this script ran; a stamp that
// matches, with the outputs present, skips the build. TSCSIM_FORCE_BUILD=1 builds anyway.
// `--check` only says whether a build is due (exit 0: up to date, 3: due), for the tests;
// TSCSIM_PREPARE_ROOT points it at another tree (the tests' temporary ones).

import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.env.TSCSIM_PREPARE_ROOT ?? fileURLToPath(new URL("..", import.meta.url));
const STAMP = join(root, "build", ".prepare-stamp");
const INPUT_DIRS = ["assembly", "src", "scripts"];
const INPUT_FILES = ["package.json", "package-lock.json", "asconfig.json", "tsconfig.json", "tsconfig.build.json"];
const OUTPUTS = ["build/debug.wasm", "build/release.wasm", "dist/index.js", "dist/bundle/tscsim.cjs", "dist/bundle/cli.cjs"];

/** Every file under dir, sorted, as paths from the root. */
function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(relative(root, p));
    }
  };
  if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** SHA-256 over each input's path and bytes. */
function inputsHash() {
  const h = createHash("sha256");
  const files = [...INPUT_FILES.filter((f) => existsSync(join(root, f))), ...INPUT_DIRS.flatMap(filesUnder)];
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update("\0");
  }
  return h.digest("hex");
}

const hash = inputsHash();
const stamp = existsSync(STAMP) ? readFileSync(STAMP, "utf8").trim() : "";
const outputsPresent = OUTPUTS.every((f) => existsSync(join(root, f)));
const upToDate = process.env.TSCSIM_FORCE_BUILD !== "1" && stamp === hash && outputsPresent;
if (process.argv.includes("--check")) {
  if (process.env.TSCSIM_PREPARE_PRINT_HASH === "1") console.log(`hash ${hash}`);
  console.log(upToDate ? "up to date" : `build due (${stamp === "" ? "no stamp" : stamp !== hash ? "the sources changed" : !outputsPresent ? "an output is missing" : "forced"})`);
  process.exit(upToDate ? 0 : 3);
}
if (upToDate) {
  console.log("tscsim: the build is up to date with the sources (build/.prepare-stamp); not rebuilding (TSCSIM_FORCE_BUILD=1 rebuilds)");
  process.exit(0);
}
const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(STAMP, `${hash}\n`);
