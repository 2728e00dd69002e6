/** The parity check shared by the engine tests: every output within 1e-4 max abs (fp32) by default. */
import assert from "node:assert/strict";
import type { EncoderOutput, OutputName } from "../backends/backend.ts";

/** The parity tolerance of issue 1: max abs difference in fp32. */
export const TOLERANCE = 1e-4;

function maxAbsDifference(a: Float32Array | undefined, b: Float32Array | undefined): number {
  if (!a || !b) throw new Error("Both backends must return the output");
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Assert last hidden state, pooled output and (with a head) logits agree with `reference`. */
export function assertParity(
  label: string,
  ours: EncoderOutput,
  reference: EncoderOutput,
  options: { hasHead: boolean; referenceName: string; tolerance?: number },
): void {
  const tolerance = options.tolerance ?? TOLERANCE;
  const names: OutputName[] = [
    "lastHiddenState",
    "pooledOutput",
    ...(options.hasHead ? ["logits" as const] : []),
  ];
  for (const name of names) {
    const difference = maxAbsDifference(ours[name], reference[name]);
    assert(
      difference <= tolerance,
      `${label}: ${name} differs from ${options.referenceName} by ${
        difference.toExponential(3)
      } (tolerance ${tolerance})`,
    );
  }
}
