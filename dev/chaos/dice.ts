import { mulberry32 } from '../emulator/faults.ts';

/** A source of seeded choices: the same seed makes the same workload. */
export class Dice {
  readonly #random: () => number;
  constructor(seed: number) {
    this.#random = mulberry32(seed);
  }
  next(): number {
    return this.#random();
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#random() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.#random() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}
