/**
 * Task sampling for multi-task training (BERT-and-PALs, DESIGN.md §3): task i
 * is drawn with probability ∝ N_i^α, where N_i is its number of training
 * examples. Proportional α = 1, square-root α = 0.5, annealed
 * α = 1 − 0.8·(e − 1)/(E − 1) for epoch e of E (from proportional towards
 * nearly uniform); round-robin cycles the tasks in turn.
 */
import { xoshiro128ss } from "../models/init.ts";

/** How multi-task training picks the task of each step. */
export type Schedule = "round-robin" | "proportional" | "sqrt" | "annealed";

/** Every schedule, in the paper's order. */
export const SCHEDULES: readonly Schedule[] = ["round-robin", "proportional", "sqrt", "annealed"];

/** The exponent α of a schedule at epoch `epoch` (1-based) of `epochs`. */
export function samplingAlpha(schedule: Schedule, epoch: number, epochs: number): number {
  switch (schedule) {
    case "proportional":
      return 1;
    case "sqrt":
      return 0.5;
    case "annealed":
      // One epoch: the formula's 0/0 is taken as its first epoch, proportional.
      return epochs <= 1 ? 1 : 1 - 0.8 * (epoch - 1) / (epochs - 1);
    case "round-robin":
      return 0; // equal shares; the order is fixed rather than drawn
  }
}

/** Probabilities p_i = N_i^α / Σ_j N_j^α. */
export function taskProbabilities(sizes: readonly number[], alpha: number): number[] {
  if (sizes.length === 0 || sizes.some((n) => !(n > 0))) {
    throw new RangeError(`task sizes must be positive, got [${sizes.join(", ")}]`);
  }
  const weights = sizes.map((n) => Math.pow(n, alpha));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Draws task indices for the steps of multi-task training, deterministic in its seed. */
export class TaskSampler {
  private readonly next: () => number;
  private turn = 0;

  /** Tasks of `sizes` training examples each, over `epochs` epochs; throws unless all are > 0. */
  constructor(
    readonly schedule: Schedule,
    readonly sizes: readonly number[],
    readonly epochs: number,
    seed: number,
  ) {
    taskProbabilities(sizes, 1); // validates the sizes
    if (!Number.isInteger(epochs) || epochs < 1) {
      throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
    }
    this.next = xoshiro128ss(seed >>> 0);
  }

  /** The task of the next step in epoch `epoch` (1-based). */
  draw(epoch: number): number {
    if (this.schedule === "round-robin") return this.turn++ % this.sizes.length;
    const p = taskProbabilities(this.sizes, samplingAlpha(this.schedule, epoch, this.epochs));
    const u = this.next() / 4294967296; // uniform in [0, 1)
    let cumulative = 0;
    for (let i = 0; i < p.length; i++) {
      cumulative += p[i];
      if (u < cumulative) return i;
    }
    return p.length - 1; // u within rounding of 1
  }
}
