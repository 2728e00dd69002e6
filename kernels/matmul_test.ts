/**
 * The GEMM kernel against a float64 CPU reference: odd shapes (M, N, K not
 * multiples of the block or of 4), a strided A (`lda > K`), a strided C
 * (`ldc > N`), each activation, the residual, and weights split into several
 * column chunks. One tolerance for every case, llm.c style.
 */
import assert from "node:assert/strict";
import { type Activation, activationReference } from "./activation.ts";
import { dispatchMatmul, prepareLinear } from "./matmul.ts";
import { KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import { gpuTest } from "../tests/_gpu.ts";

/**
 * `|got - ref| <= atol + rtol·|ref|`; float32 accumulation of K products of
 * O(1) values drifts like `sqrt(K)·ε`, so atol scales with `sqrt(K)`.
 */
const TOLERANCE = { atol: (k: number) => 1e-5 * Math.sqrt(k), rtol: 1e-5 };

interface Case {
  m: number;
  n: number;
  k: number;
  lda?: number;
  ldc?: number;
  activation?: Activation;
  residual?: boolean;
  maxBindingBytes?: number;
}

/** Deterministic values in [-1, 1) (xorshift), so failures reproduce. */
function random(length: number, seed: number): Float32Array<ArrayBuffer> {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  });
}

function storage(device: GPUDevice, data: Float32Array<ArrayBuffer>): GPUBuffer {
  const buffer = device.createBuffer({
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Run one case on the GPU; returns the worst mismatch and the chunk count. */
async function check(device: GPUDevice, runtime: KernelRuntime, c: Case) {
  const { m, n, k } = c;
  const lda = c.lda ?? k, ldc = c.ldc ?? n;
  const activation = c.activation ?? "none";
  const a = random(m * lda, 1 + m + 7 * k), w = random(n * k, 2 + n), bias = random(n, 3);
  const r = random(m * ldc, 4);
  // C starts as a sentinel so columns past N (ldc > N) must stay untouched.
  const c0 = new Float32Array(m * ldc).fill(-7);
  const linear = prepareLinear(device, {
    weight: w,
    bias,
    outFeatures: n,
    inFeatures: k,
    label: "test",
    maxBindingBytes: c.maxBindingBytes,
  });
  const aBuf = storage(device, a), cBuf = storage(device, c0);
  const rBuf = c.residual ? storage(device, r) : undefined;
  const dispatches = await dispatchMatmul(runtime, {
    linear,
    a: aBuf,
    c: cBuf,
    m,
    lda,
    ldc,
    activation,
    residual: rBuf,
  });
  submitDispatches(device, dispatches);
  const got = await readFloats(device, cBuf, m * ldc);
  let worst = { excess: -Infinity, at: "", got: 0, ref: 0 };
  const act = activationReference[activation];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      let ref = -7;
      if (j < n) {
        let sum = bias[j];
        for (let q = 0; q < k; q++) sum += a[i * lda + q] * w[j * k + q];
        if (c.residual) sum += r[i * ldc + j];
        ref = act(sum);
      }
      const value = got[i * ldc + j];
      const excess = Math.abs(value - ref) - (TOLERANCE.atol(k) + TOLERANCE.rtol * Math.abs(ref));
      if (!(excess <= worst.excess)) {
        worst = {
          excess: Number.isNaN(excess) ? Infinity : excess,
          at: `[${i}, ${j}]`,
          got: value,
          ref,
        };
      }
    }
  }
  for (const chunk of linear.chunks) chunk.buffer.destroy();
  for (const b of [linear.bias, aBuf, cBuf, rBuf]) b?.destroy();
  for (const d of dispatches) d.uniformBuffer?.destroy();
  return { worst, chunks: linear.chunks.length };
}

function describe(c: Case): string {
  return `M=${c.m} N=${c.n} K=${c.k} lda=${c.lda ?? c.k} ldc=${c.ldc ?? c.n} act=${
    c.activation ?? "none"
  } residual=${c.residual ?? false}`;
}

async function checkAll(device: GPUDevice, cases: Case[]): Promise<void> {
  const runtime = new KernelRuntime(device);
  for (const c of cases) {
    const { worst } = await check(device, runtime, c);
    assert.ok(
      worst.excess <= 0,
      `${describe(c)}: worst mismatch at ${worst.at}: got ${worst.got}, expected ${worst.ref}`,
    );
  }
}

gpuTest("matmul matches float64 reference on odd shapes", async ({ device }) => {
  const cases: Case[] = [];
  for (const m of [1, 3, 37, 130]) {
    for (const [n, k] of [[1, 17], [2, 34], [3, 64], [65, 100], [200, 768], [65, 17]]) {
      cases.push({ m, n, k });
    }
  }
  await checkAll(device, cases);
});

gpuTest("matmul reads a strided A and writes a strided C", async ({ device }) => {
  await checkAll(device, [
    { m: 5, n: 65, k: 64, lda: 64 * 7 }, // the pooler: row b at b·T·H
    { m: 3, n: 200, k: 34, lda: 37 }, // lda not a multiple of 4: scalar reads of A
    { m: 9, n: 3, k: 100, lda: 101, ldc: 5 },
  ]);
});

gpuTest("matmul applies each activation and the residual", async ({ device }) => {
  const cases: Case[] = [];
  for (const activation of ["none", "gelu", "gelu_new", "tanh"] as const) {
    cases.push({ m: 37, n: 65, k: 100, activation });
    cases.push({ m: 3, n: 200, k: 17, activation, residual: true });
  }
  await checkAll(device, cases);
});

gpuTest("matmul splits large weights into column chunks", async ({ device }) => {
  const runtime = new KernelRuntime(device);
  // 768 columns per chunk (one workgroup's block): N = 1800 needs three chunks, the last one partial.
  const c = { m: 37, n: 1800, k: 34, maxBindingBytes: 34 * 4 * 768, residual: true };
  const { worst, chunks } = await check(device, runtime, { ...c, activation: "gelu" });
  assert.equal(chunks, 3);
  assert.ok(worst.excess <= 0, `${describe(c)}: worst mismatch at ${worst.at}`);
  assert.throws(
    () =>
      prepareLinear(device, {
        weight: new Float32Array(8 * 34),
        bias: new Float32Array(8),
        outFeatures: 8,
        inFeatures: 34,
        label: "tiny",
        maxBindingBytes: 1024,
      }),
    /does not fit this device/,
  );
});
