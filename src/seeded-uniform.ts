// mulberry32: a small seeded generator of uniform [0, 1) floats, for reproducible choices
// outside the simulation (fit's reservoir and dithering, verify's sample of runs). The
// simulation's own draws come from src/sim/rng.ts, never from this.

export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
