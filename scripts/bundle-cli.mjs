// Bundles the compiled CLI (dist/cli/main.js and what it imports) into dist/bundle/, the
// package's `bin`: one ES module for start-up plus chunks that each command loads when it
// runs (code splitting follows the CLI's `await import(...)`s). Loading ~150 modules of
// dist/ and zod's and hdr-histogram-js's many files one by one cost more than running them;
// docs/performance.md has the figures. dist/ keeps the unbundled modules: the library
// (dist/index.js) uses them. The sweep's worker gets a bundle of its own (at the end).
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const outdir = join(dist, "bundle");

// tscsim's own compiled modules (dist/**/*.js) go through two rewrites on their way in:
//  - Modules find the package's files (build/*.wasm, package.json, docs/) relative to
//    their own URL. Inside the bundle every chunk sits in dist/bundle/, so each module's
//    `import.meta.url` becomes the URL its unbundled file has in dist/.
//  - `import { z } from "zod"` hands over zod's namespace object whole, so esbuild keeps
//    every export of zod (its JSON Schema reader, its schema compiler: ~80 KB that a run
//    compiles for nothing). As `import * as z from` zod's classic API module, the same
//    namespace, esbuild keeps only what tscsim reaches through `z.`.
const zodClassic = join(dirname(fileURLToPath(import.meta.resolve("zod"))), "v4", "classic", "external.js");
const ownSources = {
  name: "own-sources",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist)) return undefined;
      let source = readFileSync(args.path, "utf8");
      const original = source;
      if (source.includes("import.meta.url")) {
        const fromBundle = relative(outdir, args.path).split("\\").join("/");
        source = source.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
      }
      source = source.replaceAll('import { z } from "zod";', `import * as z from ${JSON.stringify(zodClassic)};`);
      return source === original ? undefined : { contents: source, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

// zod ships error messages in ~50 languages, more than half of its code; tscsim's messages
// are English and it never selects a zod locale, so the bundle keeps `en` (zod's default)
// and leaves the rest out of what every scenario-loading command compiles at start-up.
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({ contents: 'export { default as en } from "./en.js";', loader: "js", resolveDir: dirname(args.path) }));
  },
};

// Chunk names carry content hashes: clear the last build's, or the package ships them all.
rmSync(outdir, { recursive: true, force: true });

// Work that dependencies do when their modules load, for features tscsim rarely or never
// uses, deferred to first use. Each entry names the module, the line that does the work
// eagerly and its on-use replacement; the build fails if the library's line changes.
const ON_USE = [
  // hdr-histogram-js builds an Intl.NumberFormat for its log writer, which makes V8 load
  // ICU's locale data (about a sixth of a run's start-up, counted in instructions)
  // although tscsim never writes an HdrHistogram log.
  {
    module: /[\\/]hdr-histogram-js[\\/]dist[\\/]HistogramLogWriter\.js$/,
    eager: "const timeFormatter = (0, formatters_1.floatFormatter)(5, 3);",
    onUse: "let timeFormatterOnce; const timeFormatter = (x) => (timeFormatterOnce ??= (0, formatters_1.floatFormatter)(5, 3))(x);",
  },
  // hdr-histogram-js looks up node:zlib when its encoding module loads (Node's zlib
  // modules, ~12 M instructions); only results with histograms (--histograms, sweeps)
  // compress one.
  {
    module: /[\\/]hdr-histogram-js[\\/]dist[\\/]JsHistogram\.encoding\.js$/,
    eager: "exports.deflate = findDeflateFunction();\nexports.inflate = findInflateFunction();",
    onUse: "let deflateOnce, inflateOnce;\nexports.deflate = (...args) => (deflateOnce ??= findDeflateFunction())(...args);\nexports.inflate = (...args) => (inflateOnce ??= findInflateFunction())(...args);",
  },
  // commander loads node:child_process (with net, dgram and Node's streams: ~13 M
  // instructions, every command) to start executable subcommands, which tscsim has none of.
  {
    module: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    eager: "const childProcess = require('node:child_process');",
    onUse: "let childProcessOnce; const childProcess = { spawn: (...args) => (childProcessOnce ??= require('node:child_process')).spawn(...args) };",
  },
];
const dependenciesOnUse = {
  name: "dependencies-on-use",
  setup(b) {
    for (const { module, eager, onUse } of ON_USE) {
      b.onLoad({ filter: module }, (args) => {
        const source = readFileSync(args.path, "utf8");
        if (!source.includes(eager)) throw new Error(`${args.path}: the module-level line this build defers (${JSON.stringify(eager)}) is gone; update scripts/bundle-cli.mjs`);
        return { contents: source.replace(eager, onUse), loader: "js", resolveDir: dirname(args.path) };
      });
    }
  },
};

// hdr-histogram-js carries a WebAssembly histogram (its binary as a deflated base64
// string, inflated with pako and loaded with @assemblyscript/loader) and pako as the
// browser's deflate. Under Node its encoder and decoder deflate with node:zlib, and
// tscsim only builds JS histograms (Int32Histogram, Float64Histogram), so those three
// modules are dead weight: ~100 KB that every run compiled. The bundle replaces them
// with stand-ins that throw if anything ever calls them; the build fails if the library
// stops importing one of them (the stand-in would then hide nothing and should go).
const hdrWithoutWasm = {
  name: "hdr-without-wasm",
  setup(b) {
    const notBundled = (what) => `throw new Error(${JSON.stringify(`${what} is not in tscsim's bundle: tscsim uses hdr-histogram-js's JS histograms and node:zlib`)});`;
    const stubs = {
      pako: `const unavailable = () => { ${notBundled("pako")} }; module.exports = { deflate: unavailable, inflate: unavailable };`,
      "@assemblyscript/loader": `const unavailable = () => { ${notBundled("hdr-histogram-js's WebAssembly histogram")} }; module.exports = { instantiate: unavailable, instantiateSync: unavailable };`,
      "./generated-wasm": `Object.defineProperty(exports, "BINARY", { get() { ${notBundled("hdr-histogram-js's WebAssembly histogram")} } });`,
    };
    const used = new Set();
    b.onResolve({ filter: /^(pako|@assemblyscript\/loader|\.\/generated-wasm)$/ }, (args) => {
      if (!/[\\/]hdr-histogram-js[\\/]dist[\\/]/.test(args.importer)) return undefined;
      used.add(args.path);
      return { path: args.path, namespace: "hdr-stub" };
    });
    b.onLoad({ filter: /.*/, namespace: "hdr-stub" }, (args) => ({ contents: stubs[args.path], loader: "js" }));
    b.onEnd((result) => {
      const unused = Object.keys(stubs).filter((s) => !used.has(s));
      if (result.errors.length === 0 && unused.length > 0) throw new Error(`hdr-histogram-js no longer imports ${unused.join(", ")}: update scripts/bundle-cli.mjs`);
    });
  },
};

await build({
  entryPoints: { tscsim: join(dist, "cli", "main.js") },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  outdir,
  chunkNames: "[name]-[hash]",
  // Loaded by sweeps and benches only, and they find files of their own beside them
  // (piscina its worker script): left to Node's resolution from node_modules.
  external: ["piscina", "cli-progress", "benchmark"],
  // CommonJS dependencies (hdr-histogram-js) call require() on Node built-ins.
  banner: { js: 'import { createRequire as __tscsimRequire } from "node:module"; const require = __tscsimRequire(import.meta.url);' },
  plugins: [ownSources, zodEnglishOnly, dependenciesOnUse, hdrWithoutWasm],
  logLevel: "warning",
});

// The sweep's pool worker (dist/sweep/worker.js) as one file, dist/bundle/sweep-worker.js,
// which src/sweep/pool.ts starts when it is there. Every worker thread loads its modules
// while the sweep waits for it: unbundled, that was ~150 files of dist/ and zod's and
// hdr-histogram-js's, each resolved, read and compiled, and an ICU number formatter
// hdr-histogram-js builds at load (docs/performance.md, "Sweeps"). Its own build, without
// code splitting: a worker reads one file, not the CLI's chunks. Same rewrites as the CLI.
await build({
  entryPoints: { "sweep-worker": join(dist, "sweep", "worker.js") },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  outdir,
  external: ["piscina"],
  banner: { js: 'import { createRequire as __tscsimRequire } from "node:module"; const require = __tscsimRequire(import.meta.url);' },
  plugins: [ownSources, zodEnglishOnly, dependenciesOnUse, hdrWithoutWasm],
  logLevel: "warning",
});
