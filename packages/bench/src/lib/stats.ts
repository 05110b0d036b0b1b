/** Summary numbers for one contender's samples (all in milliseconds). */
export interface Summary {
  count: number
  median: number
  p90: number
  mean: number
  min: number
  max: number
}

/**
 * Quantile with linear interpolation between the two closest ranks
 * (the same rule as numpy's default), on an already sorted array.
 */
function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const pos = (sorted.length - 1) * q
  const lower = Math.floor(pos)
  const upper = Math.ceil(pos)
  const lo = sorted[lower] as number
  const hi = sorted[upper] as number
  return lo + (hi - lo) * (pos - lower)
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const total = sorted.reduce((acc, v) => acc + v, 0)
  return {
    count: sorted.length,
    median: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    mean: sorted.length ? total / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  }
}
