// The figures quoted in docs/ are the simulator's own (issue #14 §10): regenerating them
// (scripts/docs-figures.ts, `npm run docs:figures`) must change nothing.

import { expect, test } from "vitest";
import { computeFigures, refreshDocs } from "../scripts/docs-figures.js";

test("every generated figure in docs/ is current (else: npm run docs:figures)", () => {
  const docs = refreshDocs(computeFigures());
  expect(docs.map((d) => ({ file: d.file, stale: d.stale }))).toEqual(docs.map((d) => ({ file: d.file, stale: [] })));
  // The docs do carry figures: the markers are there.
  expect(docs.every((d) => d.text.includes("<!--fig:"))).toBe(true);
});
