/**
 * The learning-rate schedule of BERT and ALBERT fine-tuning: linear warm-up
 * from 0 to the peak over `warmupSteps`, then linear decay to 0 at
 * `totalSteps` (Hugging Face `get_linear_schedule_with_warmup`).
 */

/** Learning rate for 0-based `step` (the rate used by the update after `step` steps). */
export function linearWarmupDecay(
  step: number,
  options: { peak: number; warmupSteps: number; totalSteps: number },
): number {
  const { peak, warmupSteps, totalSteps } = options;
  if (step < warmupSteps) return peak * step / Math.max(1, warmupSteps);
  return peak * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}
