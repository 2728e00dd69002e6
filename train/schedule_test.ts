/** The warm-up/decay schedule at hand-computed points. */
import { strictEqual } from "node:assert/strict";
import { linearWarmupDecay } from "./schedule.ts";

Deno.test("linear warm-up then linear decay, as Hugging Face's schedule", () => {
  const options = { peak: 1e-3, warmupSteps: 10, totalSteps: 110 };
  const lr = (s: number) => linearWarmupDecay(s, options);
  strictEqual(lr(0), 0);
  strictEqual(lr(5), 5e-4);
  strictEqual(lr(10), 1e-3);
  strictEqual(lr(60), 5e-4); // halfway through the 100 decay steps
  strictEqual(lr(110), 0);
  strictEqual(lr(200), 0);
  // No warm-up: decay starts at the peak.
  strictEqual(linearWarmupDecay(0, { peak: 2, warmupSteps: 0, totalSteps: 4 }), 2);
  strictEqual(linearWarmupDecay(3, { peak: 2, warmupSteps: 0, totalSteps: 4 }), 0.5);
});
