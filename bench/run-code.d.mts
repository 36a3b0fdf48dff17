// Types of bench/run-code.mjs (plain JavaScript, for the bare threads).
/** The sweep worker's bundled per-run code, set up for one sweep's workerData. */
export function loadRunCode(data: { baseRaw: unknown; baseLabel: string; set: [string, unknown][] }): { run: (task: { index: number; id: string; params: Record<string, unknown>; seed: number }) => { line: string; interrupts: number } };
