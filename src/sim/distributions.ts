// Host delay samplers (issue #3 §3): a validated DelayDist compiled once into an object
// whose sampleNs(rng) costs a few float operations and allocates nothing.
//
// Every sampler returns a whole, non-negative number of ns, rounded to nearest: host
// delays are u64 ns in the model, and a negative delay would move an event into the past.
//
// Samplers hold no random state of their own (no cached spare deviate, as Box–Muller
// implementations keep): one compiled sampler is shared by all vCPUs, each drawing from
// its own stream, and a cached value would leak draws from one vCPU's stream into another's.

import { InputRangeError } from "../errors.js";
import type { DelayDist } from "../scenario/types.js";
import type { Rng } from "./rng.js";
import { zigguratNormal } from "./ziggurat.js";

/** A compiled delay distribution. */
export interface DelaySampler {
  /** One delay in whole ns (>= 0), drawn from `rng`. */
  sampleNs(rng: Rng): number;
}

/** Φ⁻¹(0.99): the lognormal's p99 sits this many sigmas above its median. */
export const Z_P99 = 2.3263478740408408;

const TWO_PI = 2 * Math.PI; // for the normal pdf

/**
 * A standard normal deviate: the ziggurat method (ziggurat.ts). The deviates a stream
 * yields do not depend on the delay's parameters, so two runs that differ only in a
 * delay's median or spread draw "the same luck" at each step, which sharpens A/B
 * comparisons.
 */
export function standardNormal(rng: Rng): number {
  return zigguratNormal(rng);
}

/**
 * Round half up to a whole ns (as Math.round, except that the one double below 0.5,
 * 0.49999999999999994, rounds to 1). Math.round measured ~16 ns per call here against
 * ~1 ns for floor(x + 0.5), and samplers run several times per simulated interrupt.
 */
function roundNs(x: number): number {
  return Math.floor(x + 0.5);
}

class FixedSampler implements DelaySampler {
  constructor(private readonly valueNs: number) {}
  sampleNs(_rng: Rng): number {
    return this.valueNs;
  }
}

// Discrete uniform over the whole ns in [minNs, maxNs], each equally likely: inputs are
// whole ns, and rounding a continuous uniform would give the two ends half weight.
class UniformSampler implements DelaySampler {
  private readonly span: number;
  constructor(
    private readonly minNs: number,
    maxNs: number,
  ) {
    this.span = maxNs - minNs + 1;
  }
  sampleNs(rng: Rng): number {
    return this.minNs + Math.floor(rng.nextFloat() * this.span);
  }
}

// Negative draws clamp to 0 (a delay cannot be negative). This piles the mass below 0
// onto 0 and raises the mean; meanNs() accounts for it.
class NormalSampler implements DelaySampler {
  constructor(
    private readonly meanNs: number,
    private readonly sdNs: number,
  ) {}
  sampleNs(rng: Rng): number {
    const x = roundNs(this.meanNs + this.sdNs * standardNormal(rng));
    return x > 0 ? x : 0;
  }
}

class LognormalSampler implements DelaySampler {
  constructor(
    private readonly mu: number,
    private readonly sigma: number,
  ) {}
  sampleNs(rng: Rng): number {
    return roundNs(Math.exp(this.mu + this.sigma * standardNormal(rng)));
  }
}

class EmpiricalSampler implements DelaySampler {
  constructor(private readonly samplesNs: Float64Array) {}
  sampleNs(rng: Rng): number {
    return this.samplesNs[Math.floor(rng.nextFloat() * this.samplesNs.length)]!;
  }
}

// One draw picks the part (linear scan of cumulative weights: mixtures have a handful
// of parts), then the part draws from the same stream.
class MixtureSampler implements DelaySampler {
  constructor(
    private readonly cumulative: Float64Array,
    private readonly parts: readonly DelaySampler[],
  ) {}
  sampleNs(rng: Rng): number {
    const cum = this.cumulative;
    const last = cum.length - 1;
    const x = rng.nextFloat() * cum[last]!;
    let i = 0;
    while (i < last && x >= cum[i]!) i++;
    return this.parts[i]!.sampleNs(rng);
  }
}

function finite(field: string, value: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InputRangeError(field, value, "a finite number of ns");
  }
  return value;
}

function nonNegative(field: string, value: number): number {
  finite(field, value);
  if (value < 0) throw new InputRangeError(field, value, "a duration >= 0 ns");
  return value;
}

/** A lognormal's mu and sigma from its median and p99; bad parameters throw InputRangeError under `field`. */
export function lognormalParams(d: { medianNs: number; p99Ns: number }, field = "delay"): { mu: number; sigma: number } {
  const medianNs = finite(`${field}.medianNs`, d.medianNs);
  if (medianNs <= 0) throw new InputRangeError(`${field}.medianNs`, medianNs, "a duration > 0 ns");
  const p99Ns = finite(`${field}.p99Ns`, d.p99Ns);
  if (p99Ns < medianNs) throw new InputRangeError(`${field}.p99Ns`, p99Ns, `a duration >= medianNs (${medianNs} ns)`);
  const mu = Math.log(medianNs);
  return { mu, sigma: (Math.log(p99Ns) - mu) / Z_P99 };
}

function mixtureWeights(d: { parts: { weight: number }[] }, field: string): number[] {
  if (!Array.isArray(d.parts) || d.parts.length === 0) {
    throw new InputRangeError(`${field}.parts`, d.parts, "at least one part");
  }
  const weights = d.parts.map((p, i) => {
    const w = p.weight;
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new InputRangeError(`${field}.parts[${i}].weight`, w, "a finite number >= 0");
    }
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new InputRangeError(`${field}.parts`, weights, "weights with a positive sum");
  return weights;
}

/**
 * Compiles a delay distribution. Bad parameters throw InputRangeError naming the field
 * under `field` (e.g. "host.delays.hrtimer.p99Ns"): lognormal needs 0 < medianNs <= p99Ns,
 * uniform minNs <= maxNs, normal sdNs >= 0, empirical at least one sample, mixture
 * non-negative weights with a positive sum. Fixed, uniform and empirical values are
 * rounded to whole ns when compiled; normal's mean and sd are used as given.
 */
export function compileDelay(d: DelayDist, field = "delay"): DelaySampler {
  switch (d.dist) {
    case "fixed":
      return new FixedSampler(Math.round(nonNegative(`${field}.valueNs`, d.valueNs)));
    case "uniform": {
      const minNs = Math.round(nonNegative(`${field}.minNs`, d.minNs));
      const maxNs = Math.round(nonNegative(`${field}.maxNs`, d.maxNs));
      if (maxNs < minNs) throw new InputRangeError(`${field}.maxNs`, d.maxNs, `a duration >= minNs (${d.minNs} ns)`);
      return new UniformSampler(minNs, maxNs);
    }
    case "normal":
      return new NormalSampler(finite(`${field}.meanNs`, d.meanNs), nonNegative(`${field}.sdNs`, d.sdNs));
    case "lognormal": {
      const { mu, sigma } = lognormalParams(d, field);
      return new LognormalSampler(mu, sigma);
    }
    case "empirical": {
      if (!Array.isArray(d.samplesNs) || d.samplesNs.length === 0) {
        throw new InputRangeError(`${field}.samplesNs`, d.samplesNs, "at least one sample");
      }
      const samples = new Float64Array(d.samplesNs.length);
      d.samplesNs.forEach((s, i) => (samples[i] = Math.round(nonNegative(`${field}.samplesNs[${i}]`, s))));
      return new EmpiricalSampler(samples);
    }
    case "mixture": {
      const weights = mixtureWeights(d, field);
      const cumulative = new Float64Array(weights.length);
      let acc = 0;
      weights.forEach((w, i) => (cumulative[i] = acc += w));
      const parts = d.parts.map((p, i) => compileDelay(p.part, `${field}.parts[${i}].part`));
      return new MixtureSampler(cumulative, parts);
    }
    default: {
      const never: never = d;
      throw new InputRangeError(`${field}.dist`, (never as { dist: unknown }).dist, "fixed | uniform | normal | lognormal | empirical | mixture");
    }
  }
}

// Standard normal pdf and cdf, for the clamped normal's mean.
function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(TWO_PI);
}

/** Φ(x) via a Chebyshev-fitted erfc (Numerical Recipes' erfcc; fractional error < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * The analytic mean, in ns, of what compileDelay(d).sampleNs returns, before the final
 * rounding to whole ns (which moves a continuous distribution's mean by well under 1 ns).
 * Includes the clamp at 0 for the normal: E[max(0, X)] = m·Φ(m/s) + s·φ(m/s).
 */
export function meanNs(d: DelayDist, field = "delay"): number {
  switch (d.dist) {
    case "fixed":
      return Math.round(nonNegative(`${field}.valueNs`, d.valueNs));
    case "uniform":
      return (Math.round(nonNegative(`${field}.minNs`, d.minNs)) + Math.round(nonNegative(`${field}.maxNs`, d.maxNs))) / 2;
    case "normal": {
      const m = finite(`${field}.meanNs`, d.meanNs);
      const s = nonNegative(`${field}.sdNs`, d.sdNs);
      if (s === 0) return Math.max(0, m);
      return m * normalCdf(m / s) + s * normalPdf(m / s);
    }
    case "lognormal": {
      const { mu, sigma } = lognormalParams(d, field);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case "empirical":
      if (d.samplesNs.length === 0) throw new InputRangeError(`${field}.samplesNs`, d.samplesNs, "at least one sample");
      return d.samplesNs.reduce((a, s) => a + Math.round(s), 0) / d.samplesNs.length;
    case "mixture": {
      const weights = mixtureWeights(d, field);
      const total = weights.reduce((a, b) => a + b, 0);
      return d.parts.reduce((acc, p, i) => acc + (weights[i]! / total) * meanNs(p.part, `${field}.parts[${i}].part`), 0);
    }
    default: {
      const never: never = d;
      throw new InputRangeError(`${field}.dist`, (never as { dist: unknown }).dist, "fixed | uniform | normal | lognormal | empirical | mixture");
    }
  }
}
