// `tscsim run`'s progress line (issue #13 target 3): on a terminal only, on stderr, a
// cli-progress bar of simulated time, redrawn at most 5 times a second and cleared when
// the run ends; nothing at all anywhere else (pipes, files, CI logs, tests), and never a
// byte on stdout. The simulation reports every PROGRESS_EVERY_EVENTS events
// (SimulationOptions.progress), which costs one compare per event.

import { createRequire } from "node:module";
import type CliProgress from "cli-progress";
import type { SimulationProgress } from "../sim/engine.js";

// cli-progress (CommonJS, a dozen files with its string-width dependencies) loads only
// when a bar is drawn: most runs are short, or off a terminal, and never draw one.
const requireHere = createRequire(import.meta.url);

/** Events between two reports: ~0.1 s of the wasm engine, ~0.5 s of the TypeScript one. */
export const PROGRESS_EVERY_EVENTS = 1 << 18;

/** Where the line goes: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
  cursorTo?: unknown;
}

/** "1.500 s" / "250.0 ms": simulated time at the precision a progress line needs. */
export function formatSimulated(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : `${(ns / 1e6).toFixed(1)} ms`;
}

export interface RunProgress {
  /** For runScenario's `progress` option; null when no line is drawn. */
  readonly simulation: SimulationProgress | null;
  stop(): void;
}

const NONE: RunProgress = { simulation: null, stop() {} };

/** A progress line for a run of `durationNs` simulated, when `stream` is a terminal. */
export function createRunProgress(durationNs: number, stream: ProgressStream = process.stderr, everyEvents = PROGRESS_EVERY_EVENTS): RunProgress {
  if (stream.isTTY !== true) return NONE;
  const cliProgress = requireHere("cli-progress") as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: "run {bar} {percentage}% | {simulated} of {simTotal} simulated | ETA {eta_formatted}",
      barsize: 30,
      fps: 5,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  // Whole µs: the bar's value must be an integer-friendly number.
  const totalUs = Math.max(1, Math.round(durationNs / 1000));
  const simTotal = formatSimulated(durationNs);
  let started = false;
  return {
    simulation: {
      everyEvents,
      report(simulatedNs: number): void {
        const payload = { simulated: formatSimulated(simulatedNs), simTotal };
        const valueUs = Math.min(totalUs, Math.round(simulatedNs / 1000));
        if (!started) {
          bar.start(totalUs, valueUs, payload);
          started = true;
        } else bar.update(valueUs, payload);
      },
    },
    stop(): void {
      if (started) bar.stop();
    },
  };
}
