/**
 * A small seeded pseudo-random generator, so that a simulation is a pure
 * function of its options: the same seed gives byte-identical output on every
 * machine and Node version (Math.random is neither seedable nor specified).
 *
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-clean
 * to many terabytes) with its state derived from the seed and a stream path
 * by splitmix32. Each customer draws from streams of its own, so one
 * customer's journey does not depend on how many customers there are, and
 * the defects (late, duplicate, invalid) do not change the journeys.
 */
export interface SeededRandom {
  /** uniform in [0, 1) */
  readonly next: () => number
  /** uniform in [min, max) */
  readonly between: (min: number, max: number) => number
  /** uniform integer in [min, max] */
  readonly int: (min: number, max: number) => number
  readonly chance: (probability: number) => boolean
  readonly pick: <A>(items: ReadonlyArray<A>) => A
  /** a key of `weights`, each with probability proportional to its weight */
  readonly weighted: <K extends string>(weights: Readonly<Record<K, number>>) => K
  /** normally distributed (Box–Muller; always two draws) */
  readonly normal: (mean: number, standardDeviation: number) => number
  /** exponentially distributed with this mean */
  readonly exponential: (mean: number) => number
}

const splitmix32 = (state: number) => {
  let z = (state + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

const TWO_TO_32 = 4_294_967_296

/**
 * A generator for `seed` (a non-negative safe integer) and a stream path
 * (small non-negative integers naming what the numbers are for).
 */
export const seededRandom = (seed: number, ...stream: ReadonlyArray<number>): SeededRandom => {
  let h = splitmix32(Math.floor(seed / TWO_TO_32))
  h = splitmix32(h ^ (seed % TWO_TO_32))
  for (const part of stream) h = splitmix32(h ^ splitmix32(part))
  let a = splitmix32(h)
  let b = splitmix32(a)
  let c = splitmix32(b)
  let d = splitmix32(c)

  const next32 = () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 12; i++) next32()

  const next = () => next32() / TWO_TO_32
  const between = (min: number, max: number) => min + next() * (max - min)
  return {
    next,
    between,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: <K extends string>(weights: Readonly<Record<K, number>>): K => {
      const entries = Object.entries(weights) as Array<[K, number]>
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
      let x = next() * total
      for (const [key, weight] of entries) {
        x -= weight
        if (x < 0) return key
      }
      return entries[entries.length - 1]![0]
    },
    normal: (mean, standardDeviation) => {
      const u = 1 - next()
      const v = next()
      return mean + standardDeviation * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    },
    exponential: (mean) => -mean * Math.log(1 - next())
  }
}
