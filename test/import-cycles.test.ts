// House style: no import circles (a module is read, tested and split on its own only if
// what it imports does not import it back). Fails when assembly/ or src/ gains one, and
// names the modules of each circle.

import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { importCycles, importGraph } from "./import-graph.js";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "import-cycles-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

describe("the cycle finder", () => {
  test("finds a circle through .js specifiers, type imports, re-exports and index.ts, and nothing else", () => {
    const root = tree({
      "a.ts": '// src/*.ts: "./leaf.js"\nimport { b } from "./b.js";\nexport const a = b;\n',
      "b.ts": 'import type { C } from "./dir/index.js";\nexport const b = 1;\n',
      "dir/index.ts": 'export { a } from "../a.js";\nexport type C = number;\n',
      "leaf.ts": 'import { a } from "./a.js";\n// import { leaf } from "./leaf2.js";\nexport const leaf = a;\n',
      "leaf2.ts": 'import { leaf } from "./leaf.js";\nconst lazy = () => import("./leaf2.js");\nexport { leaf, lazy };\n',
    });
    expect(importCycles(importGraph(root))).toEqual([["a.ts", "b.ts", "dir/index.ts"]]);
  });

  test("finds two separate circles, and none in a chain", () => {
    const root = tree({
      "x.ts": 'import "./y";\n',
      "y.ts": 'import { x } from "./x";\n',
      "p.ts": 'export * from "./q.js";\n',
      "q.ts": 'import { p } from "./p.js";\n',
      "chain.ts": 'import { q } from "./q.js";\nimport "./x.js";\n',
    });
    expect(importCycles(importGraph(root))).toEqual([
      ["p.ts", "q.ts"],
      ["x.ts", "y.ts"],
    ]);
  });
});

describe("the project's modules", () => {
  test("assembly/ has no import circle", () => {
    const graph = importGraph("assembly");
    expect(graph.size).toBeGreaterThan(30);
    expect(importCycles(graph)).toEqual([]);
  });

  test("src/ has no import circle", () => {
    const graph = importGraph("src");
    expect(graph.size).toBeGreaterThan(50);
    expect(importCycles(graph)).toEqual([]);
  });
});
