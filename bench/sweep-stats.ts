// Order statistics for bench/sweep.bench.ts: the median of the repetitions and a
// distribution-free confidence interval for it.

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * A confidence interval for the median of the population the samples come from, with no
 * assumption on its shape: [x(j), x(n+1-j)] of the sorted samples, with j the largest
 * rank whose two tails each hold at most (1 - level) / 2 of Binomial(n, 1/2). The
 * interval's actual coverage (≥ level) comes with it. Null when there are too few samples
 * for any interval at this level (fewer than 6 at 95 %).
 */
export function medianInterval(xs: readonly number[], level = 0.95): { low: number; high: number; coverage: number } | null {
  const n = xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  let j = 0;
  while (j + 1 <= n / 2 && binomialHalfCdf(n, j) <= (1 - level) / 2) j++;
  if (j === 0) return null;
  return { low: sorted[j - 1]!, high: sorted[n - j]!, coverage: 1 - 2 * binomialHalfCdf(n, j - 1) };
}
