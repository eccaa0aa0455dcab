/**
 * A small seeded pseudo-random generator (mulberry32) so a simulation with the same seed produces the
 * same fleet and the same telemetry. Not for cryptography.
 *
 * @example
 * const random = new SeededRandom(42);
 * random.between(10, 20); // always the same first value for seed 42
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let mixed = this.state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer uniform in [min, max]. */
  integer(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("cannot pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight; `weights[i]` belongs to `items[i]`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let target = this.next() * total;
    for (let index = 0; index < items.length; index++) {
      target -= weights[index]!;
      if (target < 0) return items[index]!;
    }
    return items[items.length - 1]!;
  }

  /** Approximately normal (sum of three uniforms), mean 0 and the given standard deviation. */
  gaussian(standardDeviation: number): number {
    return (this.next() + this.next() + this.next() - 1.5) * 2 * standardDeviation;
  }

  /** A derived generator, so adding vehicles does not shift every other vehicle's sequence. */
  fork(salt: number): SeededRandom {
    return new SeededRandom(Math.imul(this.state ^ salt, 2_654_435_761) ^ (salt >>> 3));
  }
}
