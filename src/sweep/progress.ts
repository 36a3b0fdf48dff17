// Progress of a sweep on stderr (issue #5 §2): on a terminal a cli-progress bar with
// done/total, rate and ETA, redrawn at most 5 times a second; anywhere else (CI logs,
// pipes, files) one plain line every 2 s or at every 10% step, whichever comes first,
// so a log shows progress without a wall of carriage returns. Rate and ETA count only
// this session's runs (runs skipped by --resume took no time).

import cliProgress from "cli-progress";
import type { SweepProgress } from "./runner.js";
import { formatDuration } from "./summary-format.js";

export interface ProgressReporter {
  update(p: SweepProgress): void;
  /** A message that must not be drawn over by the bar. */
  log(message: string): void;
  stop(p: SweepProgress | undefined): void;
}

/** Runs per second this session and seconds to go. */
function rateAndEta(p: SweepProgress, nowMs = performance.now()): { rate: number; etaSeconds: number } {
  const elapsed = (nowMs - p.startedMs) / 1000;
  const rate = elapsed > 0 ? p.sessionDone / elapsed : 0;
  return { rate, etaSeconds: rate > 0 ? (p.total - p.done) / rate : Infinity };
}

function progressLine(p: SweepProgress, nowMs = performance.now()): string {
  const { rate, etaSeconds } = rateAndEta(p, nowMs);
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  const failed = p.failed > 0 ? `, ${p.failed} failed` : "";
  return `sweep: ${p.done}/${p.total} runs (${pct.toFixed(0)}%${failed}), ${rate.toFixed(1)} runs/s, ETA ${p.done >= p.total ? "0s" : formatDuration(etaSeconds)}`;
}

class TtyProgress implements ProgressReporter {
  private readonly bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "sweep {bar} {value}/{total} runs | {rate} runs/s | ETA {etaText}{failedText}",
      barsize: 30,
      fps: 5,
      hideCursor: true,
      forceRedraw: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  private payload(p: SweepProgress): Record<string, string> {
    const { rate, etaSeconds } = rateAndEta(p);
    return { rate: rate.toFixed(1), etaText: p.done >= p.total ? "0s" : formatDuration(etaSeconds), failedText: p.failed > 0 ? ` | ${p.failed} failed` : "" };
  }

  update(p: SweepProgress): void {
    if (!this.started) {
      this.bar.start(p.total, p.done, this.payload(p));
      this.started = true;
    } else {
      this.bar.update(p.done, this.payload(p));
    }
  }

  log(message: string): void {
    if (this.started) {
      // Clear the bar's line, print, and let the next redraw put the bar back.
      process.stderr.write(`\r\x1b[2K${message}\n`);
    } else {
      process.stderr.write(`${message}\n`);
    }
  }

  stop(p: SweepProgress | undefined): void {
    if (!this.started) return;
    if (p !== undefined) this.bar.update(p.done, this.payload(p));
    this.bar.stop();
  }
}

class PlainProgress implements ProgressReporter {
  private lastMs = 0;
  private lastDecile = -1;

  constructor(private readonly everyMs = 2000) {}

  update(p: SweepProgress): void {
    const now = performance.now();
    const decile = p.total === 0 ? 10 : Math.floor((10 * p.done) / p.total);
    if (this.lastDecile === -1) {
      // First call: where we start (after --resume, not at 0).
      this.lastDecile = decile;
      this.lastMs = now;
      process.stderr.write(`${progressLine(p, now)}\n`);
      return;
    }
    if (now - this.lastMs >= this.everyMs || decile > this.lastDecile) {
      this.lastMs = now;
      this.lastDecile = decile;
      process.stderr.write(`${progressLine(p, now)}\n`);
    }
  }

  log(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  stop(): void {}
}

export function createProgress(tty: boolean = process.stderr.isTTY === true): ProgressReporter {
  return tty ? new TtyProgress() : new PlainProgress();
}
