/**
 * The training GEMM against a float64 CPU reference in all three layouts
 * ("nn", "nt", "tn"), on shapes that are not multiples of the register block
 * (16 rows × 3 vec4 groups, 768 columns per workgroup; 64 rows × 2 groups,
 * 256 columns, when subgroups share A, which lavapipe's subgroups of 8
 * allow) or of 4, with element offsets, leading dimensions, the bias and
 * accumulation into C; and with the
 * operand precisions of mixed-precision training (f16 activations, f32
 * weights and weight gradients), against the reference on the f16-rounded
 * inputs.
 */
import assert from "node:assert/strict";
import { dispatchGemm, type GemmDtypes } from "./gemm.ts";
import { KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { readValues, roundTo, storageBuffer, uniformValues } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** Extra elements per stored row of A and B (a leading dimension past the row). */
  pad?: number;
  /** Element offset of A, B and C in their buffers. */
  offset?: number;
  bias?: boolean;
  accumulate?: boolean;
  dtypes?: GemmDtypes;
}

for (const subgroups of [false, true]) {
  const label = subgroups ? " with subgroup-shared A" : "";
  gpuTest(
    `gemm${label} matches float64 reference in each layout on odd shapes`,
    async ({ device }) => {
      await checkLayouts(device, subgroups);
    },
  );
}

/** Every case below on `device`, with or without A shared through subgroups. */
async function checkLayouts(device: GPUDevice, subgroups: boolean) {
  const runtime = new KernelRuntime(device);
  const cases: Case[] = [];
  // Mixed precision: forward and input gradient read f16 activations and the weight's f16 copy
  // (all f16; also with an f32 weight), the weight gradient f16 A and B into f32 C; on the
  // packed and the scalar paths.
  const halves: GemmDtypes = { a: "f16", b: "f16", c: "f16" };
  const f32Weight: GemmDtypes = { a: "f16", b: "f32", c: "f16" };
  const weightGrad: GemmDtypes = { a: "f16", b: "f16", c: "f32" };
  for (const [m, n, k] of [[17, 65, 33], [20, 36, 24], [40, 800, 12]]) {
    cases.push(
      { m, n, k, transB: true, bias: true, dtypes: halves },
      { m, n, k, dtypes: halves, accumulate: true },
      { m, n, k, transB: true, dtypes: f32Weight },
      { m, n, k, transA: true, accumulate: true, dtypes: weightGrad },
    );
  }
  cases.push(
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, transB: true, dtypes: halves },
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, dtypes: halves },
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, transA: true, dtypes: weightGrad },
    { m: 9, n: 10, k: 11, pad: 1, offset: 3, transB: true, dtypes: halves },
    { m: 9, n: 10, k: 11, pad: 1, offset: 3, transA: true, dtypes: weightGrad },
  );
  // 130 × 300 spans several 64-row blocks of the subgroup kernel.
  const shapes = [[1, 3, 5], [17, 65, 33], [40, 800, 12], [33, 1601, 7], [64, 768, 64], [
    130,
    300,
    20,
  ]];
  for (const [m, n, k] of shapes) {
    cases.push({ m, n, k }, { m, n, k, transB: true, bias: true }, {
      m,
      n,
      k,
      transA: true,
      accumulate: true,
    });
  }
  cases.push(
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, bias: true }, // vec4 path with ld and offset
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, transB: true },
    { m: 20, n: 36, k: 24, pad: 4, offset: 8, transA: true, accumulate: true },
    { m: 9, n: 10, k: 11, pad: 1, offset: 3, transA: true }, // scalar path with ld and offset
  );
  for (const c of cases) {
    const { m, n, k } = c;
    const pad = c.pad ?? 0, off = c.offset ?? 0;
    // Stored shapes: A [m, k] or [k, m]; B [k, n] or [n, k]; rows padded by `pad`.
    const [aRows, aCols] = c.transA ? [k, m] : [m, k];
    const [bRows, bCols] = c.transB ? [n, k] : [k, n];
    const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
    const dtypes = c.dtypes ?? { a: "f32", b: "f32", c: "f32" };
    const a = roundTo(dtypes.a, uniformValues(off + aRows * lda, 1 + m + k));
    const b = roundTo(dtypes.b, uniformValues(off + bRows * ldb, 2 + n));
    const c0 = roundTo(dtypes.c, uniformValues(off + m * ldc, 3)), bias = uniformValues(n, 4);
    const at = (i: number, q: number) => a[off + (c.transA ? q * lda + i : i * lda + q)];
    const bt = (q: number, j: number) => b[off + (c.transB ? j * ldb + q : q * ldb + j)];
    const buffers = [
      storageBuffer(device, a, dtypes.a),
      storageBuffer(device, b, dtypes.b),
      storageBuffer(device, c0, dtypes.c),
      storageBuffer(device, bias),
    ];
    const dispatch = await dispatchGemm(runtime, {
      a: { buffer: buffers[0], offset: off, ld: lda, transpose: c.transA },
      b: { buffer: buffers[1], offset: off, ld: ldb, transpose: c.transB },
      c: { buffer: buffers[2], offset: off, ld: ldc },
      m,
      n,
      k,
      bias: c.bias ? buffers[3] : undefined,
      accumulate: c.accumulate,
      dtypes: c.dtypes,
      subgroups,
    });
    submitDispatches(device, [dispatch]);
    const got = await readValues(device, buffers[2], off + m * ldc, dtypes.c);
    // An f16 C adds the rounding of the stored result (2⁻¹¹ relative).
    const storeRounding = dtypes.c === "f16" ? 2 ** -11 : 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const index = off + i * ldc + j;
        let want = c0[index]; // padding columns stay untouched
        if (j < n) {
          let sum = (c.bias ? bias[j] : 0) + (c.accumulate ? c0[index] : 0);
          for (let q = 0; q < k; q++) sum += at(i, q) * bt(q, j);
          want = sum;
        }
        assert.ok(
          Math.abs(got[index] - want) <=
            1e-5 * Math.sqrt(k + 1) + (1e-5 + storeRounding) * Math.abs(want),
          `${JSON.stringify(c)}: C[${i}, ${j}] is ${got[index]}, expected ${want}`,
        );
      }
    }
    for (let q = 0; q < off; q++) assert.equal(got[q], c0[q], "elements before C's offset");
    for (const buffer of buffers) buffer.destroy();
    dispatch.uniformBuffer?.destroy();
  }
}
