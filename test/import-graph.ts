// The import graph of a source tree, for test/import-cycles.test.ts: every static
// `import … from "./x"`, `import "./x"` and `export … from "./x"` between the tree's own
// .ts files (type-only imports included: a cycle of types is still a circle to read
// through). Dynamic `import()` is left out on purpose: it is how the CLI loads a
// command's code lazily, and it runs after both modules are evaluated.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

export type ImportGraph = Map<string, Set<string>>;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** The relative specifiers of a file's top-level import and export declarations (parsed, so comments and strings never count). */
function staticSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const spec = statement.moduleSpecifier.text;
      if (spec.startsWith("./") || spec.startsWith("../")) out.push(spec);
    }
  }
  return out;
}

/** The module a relative specifier names, among the tree's files (`.js` → `.ts`, a folder → index.ts). */
function resolveSpecifier(fromFile: string, spec: string, files: Set<string>): string | undefined {
  const base = resolve(dirname(fromFile), spec).replace(/\.js$/, "");
  for (const candidate of [base + ".ts", join(base, "index.ts"), base]) if (files.has(candidate)) return candidate;
  return undefined;
}

/** The import graph of every .ts file under root, keyed by path relative to root. */
export function importGraph(root: string): ImportGraph {
  const abs = resolve(root);
  const files = new Set(existsSync(abs) ? tsFiles(abs) : []);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const deps = new Set<string>();
    for (const spec of staticSpecifiers(file)) {
      const target = resolveSpecifier(file, spec, files);
      if (target !== undefined && target !== file) deps.add(relative(abs, target));
    }
    graph.set(relative(abs, file), deps);
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan), each sorted, sorted by first member. */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
}
