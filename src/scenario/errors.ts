// Typed errors of the scenario layer (architecture.md: "typed errors carrying field,
// value and reason"). One ScenarioError carries every problem found in a scenario, each
// naming the dotted path in the file form, the value found there and what is allowed.

/** One problem in a scenario: where (dotted file-form path), what was found, what is allowed. */
export interface ScenarioIssue {
  /** Dotted path in the file form, array indices as numbers: `vms.0.workload.interval`. */
  path: string;
  /** The value found at `path` (undefined when the key is missing). */
  value: unknown;
  /** What would be accepted there, for people. */
  allowed: string;
  /** A short name for the problem when "wrong value" would mislead, e.g. "unknown key". */
  problem?: string;
}

/** A value as it would be written in a scenario file. */
export function showValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  // JSON writes Infinity and NaN as null; a user who wrote 1e400 should see what it became.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  try {
    const s = JSON.stringify(value) ?? String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** `path = value: allowed ...` (or `path is missing: ...`), one line. */
export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.path === "" ? "(scenario)" : issue.path;
  const found = issue.value === undefined ? `${where} is missing` : `${where} = ${showValue(issue.value)}`;
  return issue.problem === undefined ? `${found}: allowed ${issue.allowed}` : `${found}: ${issue.problem}; allowed ${issue.allowed}`;
}

/** A scenario (file, preset or --set) that cannot be used; exit code 2 in the CLI. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
  constructor(
    readonly issues: readonly ScenarioIssue[],
    /** Where the scenario came from: a preset name or a file path. */
    readonly source?: string,
    message?: string,
  ) {
    super(message ?? ScenarioError.describe(issues, source));
  }

  private static describe(issues: readonly ScenarioIssue[], source: string | undefined): string {
    const head = source === undefined ? "invalid scenario" : `invalid scenario (${source})`;
    if (issues.length === 1) return `${head}: ${formatIssue(issues[0]!)}`;
    return [`${head}: ${issues.length} problems`, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n");
  }
}
