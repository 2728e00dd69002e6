/**
 * The attention kernel against a float64 CPU softmax(q·kᵀ/√d)·v with the
 * padding mask: head sizes that take the vec4 path (d % 4 = 0) and the
 * scalar one, sequence lengths that leave the last block of queries partial,
 * padded sequences, and both storage dtypes.
 */
import assert from "node:assert/strict";
import { dispatchAttention } from "./attention.ts";
import { type Dtype, KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { readValues, roundTo, storageBuffer, uniformValues } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { assertDtypeSupported, simdSubgroupSize } from "../runtime/device.ts";

function reference(
  qkv: Float32Array,
  mask: Uint32Array,
  shape: { batch: number; seqLen: number; heads: number; d: number },
): Float64Array {
  const { batch, seqLen: T, heads, d } = shape;
  const W = heads * d;
  const out = new Float64Array(batch * T * W);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < T; i++) {
        const q = (b * T + i) * 3 * W + h * d;
        const scores: number[] = [];
        for (let j = 0; j < T; j++) {
          if (!mask[b * T + j]) continue;
          let s = 0;
          for (let e = 0; e < d; e++) s += qkv[q + e] * qkv[(b * T + j) * 3 * W + W + h * d + e];
          scores.push(s / Math.sqrt(d));
        }
        const top = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - top));
        const total = weights.reduce((x, y) => x + y, 0);
        let n = 0;
        for (let j = 0; j < T; j++) {
          if (!mask[b * T + j]) continue;
          const v = (b * T + j) * 3 * W + 2 * W + h * d;
          for (let e = 0; e < d; e++) {
            out[(b * T + i) * W + h * d + e] += weights[n] / total * qkv[v + e];
          }
          n++;
        }
      }
    }
  }
  return out;
}

const CASES = ["f32", "f16"].flatMap((dtype) =>
  [false, true].map((subgroups) => ({ dtype: dtype as Dtype, subgroups }))
);

for (const { dtype, subgroups } of CASES) {
  const label = subgroups ? ", rows shared through subgroups" : "";
  gpuTest(
    `attention (${dtype}${label}) matches float64 softmax(q·kᵀ/√d)·v with padding`,
    async (gpu) => {
      assertDtypeSupported(gpu, dtype);
      const { device } = gpu;
      // lavapipe has subgroups of 8; a device without them fails here rather than passing unchecked.
      if (subgroups) {
        assert.ok(simdSubgroupSize(device), "no fixed-size subgroups on a software adapter");
      }
      const runtime = new KernelRuntime(device);
      // d = 8 and 64 take the vec4 path, d = 6 and 17 (PAL-sized) the scalar one.
      for (
        const [batch, seqLen, heads, d] of [
          [2, 21, 3, 8],
          [3, 9, 2, 6],
          [1, 8, 1, 17],
          [2, 13, 2, 64],
          [2, 130, 3, 64], // 17 query blocks: three subgroups' worth per head, the last mostly idle
        ]
      ) {
        const W = heads * d, rows = batch * seqLen;
        const qkv = uniformValues(rows * 3 * W, 5 + d, 2);
        roundTo(dtype, qkv); // the reference sees the stored values
        // Sequence b has seqLen - 3·b real tokens, then padding.
        const mask = Uint32Array.from(
          { length: rows },
          (_, r) => Number(r % seqLen < seqLen - 3 * Math.floor(r / seqLen)),
        );
        const qkvBuf = storageBuffer(device, qkv, dtype);
        const maskBuf = storageBuffer(device, mask);
        const outBuf = storageBuffer(device, new Float32Array(rows * W));
        const dispatch = await dispatchAttention(runtime, {
          qkv: qkvBuf,
          mask: maskBuf,
          out: outBuf,
          batch,
          seqLen,
          heads,
          headSize: d,
          dtype,
          subgroups,
        });
        submitDispatches(device, [dispatch]);
        const got = await readValues(device, outBuf, rows * W, dtype);
        const want = reference(qkv, mask, { batch, seqLen, heads, d });
        // f32: accumulation error; f16: plus the output's rounding, 2⁻¹¹ relative.
        const rtol = dtype === "f16" ? 2 ** -11 : 0;
        for (let i = 0; i < want.length; i++) {
          const tolerance = 1e-5 + 1e-5 * Math.abs(want[i]) + rtol * Math.abs(want[i]);
          assert.ok(
            Math.abs(got[i] - want[i]) <= tolerance,
            `B=${batch} T=${seqLen} heads=${heads} d=${d}: element ${i} is ${got[i]}, expected ${
              want[i]
            }`,
          );
        }
        for (const buffer of [qkvBuf, maskBuf, outBuf]) buffer.destroy();
        dispatch.uniformBuffer?.destroy();
      }
    },
  );
}
