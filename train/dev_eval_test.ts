/** Early stopping's comparison, including the NaN a constant prediction's correlation gives. */
import assert from "node:assert/strict";
import { improves } from "./dev_eval.ts";

Deno.test("a dev score improves on none, a lower score, and a NaN; never on a higher one", () => {
  const best = (score: number) => ({ score, epoch: 1, metrics: {} });
  assert(improves(Number.NaN, null));
  assert(improves(3, best(2)));
  assert(!improves(2, best(2)));
  assert(!improves(1, best(2)));
  assert(improves(-5, best(Number.NaN)));
  assert(!improves(Number.NaN, best(Number.NaN)));
  assert(!improves(Number.NaN, best(2)));
});
