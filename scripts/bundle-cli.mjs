// Bundles the compiled CLI (dist/cli/main.js and what it imports) into dist/bundle/, the
// package's `bin`:
//  - dist/bundle/cli.cjs: the whole CLI as one CommonJS file (loading ~150 modules of
//    dist/ and zod's and hdr-histogram-js's many files one by one cost more than running
//    them). CommonJS because node:vm compiles a script, not an ES module, and only a
//    script can be given V8's code cache on Node 20;
//  - dist/bundle/tscsim.cjs (the bin, src/cli/launch.ts): runs cli.cjs through node:vm
//    with a code cache kept between commands (src/cli/code-cache.ts), keyed on the
//    content hash this script computes and builds into it. CommonJS too: an ES module
//    entry makes Node start its ES module loader, ~25 M instructions of its own.
// docs/performance.md has the figures. dist/ keeps the unbundled modules: the library
// (dist/index.js) uses them. The sweep's worker gets a bundle of its own (at the end).
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const outdir = join(dist, "bundle");

// tscsim's own compiled modules (dist/**/*.js) go through two rewrites on their way in:
//  - Modules find the package's files (build/*.wasm, package.json, docs/) relative to
//    their own URL. Inside the bundle they all sit in dist/bundle/cli.cjs, so each
//    module's `import.meta.url` becomes the URL its unbundled file has in dist/ (relative
//    to the bundle's own URL, which a CommonJS file has as __filename: see `define`).
//  - `import { z } from "zod"` hands over zod's namespace object whole, so esbuild keeps
//    every export of zod (its JSON Schema reader, its schema compiler: ~80 KB that a run
//    compiles for nothing). As `import * as z from` zod's classic API module, the same
//    namespace, esbuild keeps only what tscsim reaches through `z.`.
const zodClassic = join(dirname(fileURLToPath(import.meta.resolve("zod"))), "v4", "classic", "external.js");
function ownSource(path) {
  let source = readFileSync(path, "utf8");
  if (source.includes("import.meta.url")) {
    const fromBundle = relative(outdir, path).split("\\").join("/");
    source = source.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
  }
  return source.replaceAll('import { z } from "zod";', `import * as z from ${JSON.stringify(zodClassic)};`);
}
const ownSources = {
  name: "own-sources",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist)) return undefined;
      const source = ownSource(args.path);
      return { contents: source, loader: "js", resolveDir: dirname(args.path) };
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

// Earlier builds left ES module chunks here: clear them, or the package ships them all.
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

// What an ES module does that a CommonJS script cannot, rewritten for the bundle; each entry
// names the file, the line and its replacement, and the build fails if the line changes.
//  - dist/wasm.js loads the asc bindings (build/<variant>.js) with a dynamic import and a
//    top-level await, and the bindings instantiate the wasm asynchronously. In the bundle
//    the bindings are a function of the bundle's own (wasmBindings below) that compiles
//    and instantiates the same .wasm synchronously (`new WebAssembly.Module`: Node has no
//    size limit on synchronous compilation); the exports are the same objects.
//  - dist/cli/main.js awaits main() at its top level; the bundle sets the exit code when
//    main()'s promise settles, as the top-level await did.
const COMMONJS_REWRITES = [
  {
    module: /[\\/]dist[\\/]wasm\.js$/,
    prepend: 'import { bindWasmSync as __tscsimBindWasm } from "tscsim:wasm-bindings";\n',
    lines: [
      ["async function load() {", "function load() {"],
      ["mod = (await import(url.href));", "mod = __tscsimBindWasm(url);"],
      ["export const wasm = await load();", "export const wasm = load();"],
    ],
  },
  {
    module: /[\\/]dist[\\/]cli[\\/]main\.js$/,
    prepend: "",
    lines: [["process.exitCode = await main(process.argv.slice(2));", "main(process.argv.slice(2)).then((code) => { process.exitCode = code; });"]],
  },
];
function replaceOrFail(source, path, from, to) {
  if (!source.includes(from)) throw new Error(`${path}: the line this build rewrites (${JSON.stringify(from)}) is gone; update scripts/bundle-cli.mjs`);
  return source.replace(from, to);
}
const commonJs = {
  name: "commonjs",
  setup(b) {
    for (const { module, prepend, lines } of COMMONJS_REWRITES) {
      b.onLoad({ filter: module }, (args) => {
        let source = ownSource(args.path);
        for (const [from, to] of lines) source = replaceOrFail(source, args.path, from, to);
        return { contents: prepend + source, loader: "js", resolveDir: dirname(args.path) };
      });
    }
  },
};

// The asc bindings (build/release.js; build/debug.js is the same file but for the .wasm it
// names) as `bindWasmSync(url of build/<variant>.js)`: the same `instantiate` (it adapts
// every export: BigInt conversions, enums, strings) made synchronous, given the module
// compiled from the .wasm beside that URL. The binding's ES module tail (compile, await,
// export each name) is replaced; what it exported is the object `instantiate` returns.
const wasmBindings = {
  name: "wasm-bindings",
  setup(b) {
    b.onResolve({ filter: /^tscsim:wasm-bindings$/ }, () => ({ path: "wasm-bindings", namespace: "tscsim" }));
    b.onLoad({ filter: /.*/, namespace: "tscsim" }, () => {
      const path = join(dist, "..", "build", "release.js");
      let source = readFileSync(path, "utf8");
      const debug = readFileSync(join(dist, "..", "build", "debug.js"), "utf8");
      if (debug.replaceAll("debug.wasm", "release.wasm") !== source) throw new Error("build/debug.js and build/release.js differ beyond the .wasm they name: the bundle binds both builds with release.js's code; update scripts/bundle-cli.mjs");
      source = replaceOrFail(source, path, "async function instantiate(module, imports = {}) {", "function instantiate(module, imports = {}) {");
      source = replaceOrFail(source, path, "const { exports } = await WebAssembly.instantiate(module, adaptedImports);", "const { exports } = new WebAssembly.Instance(module, adaptedImports);");
      const tail = source.lastIndexOf("export const {");
      if (tail < 0 || !source.slice(tail).includes("instantiate(")) throw new Error(`${path}: the bindings' export tail changed; update scripts/bundle-cli.mjs`);
      source =
        source.slice(0, tail) +
        'import { readFileSync as __tscsimReadWasm } from "node:fs";\n' +
        "export function bindWasmSync(url) {\n" +
        '  const wasmUrl = new URL(url.href.replace(/\\.js$/, ".wasm"));\n' +
        "  return instantiate(new WebAssembly.Module(__tscsimReadWasm(wasmUrl)), {});\n" +
        "}\n";
      return { contents: source, loader: "js", resolveDir: join(dist, "..", "build") };
    });
  },
};

const bundlePath = join(outdir, "cli.cjs");
await build({
  entryPoints: [join(dist, "cli", "main.js")],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  // Non-ASCII characters escaped (esbuild's default, said here because the bin reads the
  // file as latin1; see below for what esbuild leaves).
  charset: "ascii",
  outfile: bundlePath,
  // Loaded by sweeps and benches only, and they find files of their own beside them
  // (piscina its worker script): left to Node's resolution from node_modules.
  external: ["piscina", "cli-progress", "benchmark"],
  // A CommonJS file has no import.meta: its URL is __filename's.
  define: { "import.meta.url": "__tscsimBundleUrl" },
  banner: { js: 'var __tscsimBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [commonJs, wasmBindings, ownSources, zodEnglishOnly, dependenciesOnUse, hdrWithoutWasm],
  logLevel: "warning",
});
// The bin reads the bundle as latin1, which is ASCII's bytes as they are: no UTF-8
// decoding of ~0.5 MB (about 10 M instructions) per command. esbuild escapes non-ASCII
// characters in strings but leaves them in regular expression literals (the units'
// `µ`); as \uXXXX escapes they mean the same there, in strings and in identifiers.
// The hashbang of main.js is of no use in a file that the bin reads as a script.
const bundled = asciiOnly(readFileSync(bundlePath, "utf8").replace(/^#!.*\n/, ""));
writeFileSync(bundlePath, bundled, "latin1");

/** Non-ASCII characters as \uXXXX escapes (the same meaning in strings, regular expressions and identifiers). */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A launcher (the bin, the sweep's worker): one small CommonJS file that runs its bundle
 * through node:vm with a code cache keyed on the bundle's content hash (`hashName`), and
 * knows its own URL as `urlVar`.
 */
async function buildLauncher(entry, outfile, hashName, bundleText, urlVar) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minify: true,
    outfile,
    define: {
      [hashName]: JSON.stringify(createHash("sha256").update(bundleText).digest("hex").slice(0, 16)),
      "import.meta.url": urlVar,
    },
    banner: { js: `var ${urlVar} = require("node:url").pathToFileURL(__filename).href;` },
    logLevel: "warning",
  });
}

await buildLauncher(join(dist, "cli", "launch.js"), join(outdir, "tscsim.cjs"), "TSCSIM_BUNDLE_HASH", bundled, "__tscsimBinUrl");

// The sweep's pool worker (dist/sweep/worker.js and what it imports) as one CommonJS file,
// dist/bundle/sweep-worker-code.cjs, and its launcher dist/bundle/sweep-worker.cjs
// (src/sweep/worker-launch.ts), which src/sweep/pool.ts starts when it is there. Every
// worker thread loads its code while the sweep waits for it: unbundled, that was ~150
// files of dist/ and zod's and hdr-histogram-js's, each resolved, read and compiled
// (docs/performance.md, "Sweeps"). The launcher runs the bundle through node:vm with a
// V8 code cache of its own (src/sweep/worker-code-cache.ts), as the bin does the CLI's:
// CommonJS for the reasons above, with the same rewrites of tscsim's sources (the wasm
// instantiated synchronously), zod and hdr-histogram-js as the CLI's bundle.
const workerBundlePath = join(outdir, "sweep-worker-code.cjs");
await build({
  entryPoints: [join(dist, "sweep", "worker.js")],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  charset: "ascii",
  outfile: workerBundlePath,
  define: { "import.meta.url": "__tscsimBundleUrl" },
  banner: { js: 'var __tscsimBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [commonJs, wasmBindings, ownSources, zodEnglishOnly, dependenciesOnUse, hdrWithoutWasm],
  logLevel: "warning",
});
// ASCII only, as the CLI's bundle (the launcher reads it as latin1). A dynamic import()
// left in it would fail: a node:vm script has no module loader to hand it to.
const workerBundled = asciiOnly(readFileSync(workerBundlePath, "utf8"));
if (/\bimport\(/.test(workerBundled)) throw new Error(`${workerBundlePath}: the worker's bundle has a dynamic import(), which a node:vm script cannot run; update scripts/bundle-cli.mjs`);
writeFileSync(workerBundlePath, workerBundled, "latin1");
await buildLauncher(join(dist, "sweep", "worker-launch.js"), join(outdir, "sweep-worker.cjs"), "TSCSIM_WORKER_BUNDLE_HASH", workerBundled, "__tscsimWorkerUrl");

// dist/bundle/tscsim.js: the bin's earlier name (the ES module bundle of 0.1.0's first
// builds). `npx tscsim` run inside a checkout installs the checkout into npx's cache once
// and keeps the link to the bin under the name it had then; a checkout that ran it before
// the bin became tscsim.cjs would find nothing ("tscsim: not found") after an update.
// This file hands such a link on to the bin.
writeFileSync(
  join(outdir, "tscsim.js"),
  '#!/usr/bin/env node\n// The bin\'s earlier name; the bin is tscsim.cjs (scripts/bundle-cli.mjs says why).\nimport "./tscsim.cjs";\n',
);
