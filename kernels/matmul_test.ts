/**
 * The GEMM kernel against a float64 CPU reference: odd shapes (M, N, K not
 * multiples of the block or of 4), a strided A (`lda > K`), a strided C
 * (`ldc > N`), each activation, the residual, and weights split into several
 * column chunks; then split-K (`matmul_split_k.ts`) on the same cases with a
 * forced S. C is written element by element or, where N and ldc are
 * multiples of 4, as vec4s. Weights come from buffers and from texel views
 * (`runtime/texels.ts`), and with an activation pool a dense A is copied into
 * a texel view too. One tolerance for every case, llm.c style.
 */
import assert from "node:assert/strict";
import { type Activation, activationReference } from "./activation.ts";
import {
  defaultMatmulVariant,
  dispatchMatmul,
  type MatmulVariant,
  SubgroupUnsupportedError,
} from "./matmul.ts";
import { prepareLinear } from "./linear_weights.ts";
import { type Dtype, KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { readValues, roundTo, storageBuffer, uniformValues } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { assertDtypeSupported, type Gpu } from "../runtime/device.ts";
import { ActivationPool } from "../backends/webgpu/plan.ts";

/**
 * `|got - ref| <= atol + rtol·|ref|`; float32 accumulation of K products of
 * O(1) values drifts like `sqrt(K)·ε`, so atol scales with `sqrt(K)`. The f16
 * kernel accumulates in f32 too but rounds its output to f16, which adds at
 * most half an f16 ulp, 2⁻¹¹ relative; its inputs are rounded to f16 on the
 * host first, so the reference sees the values the kernel reads.
 */
const TOLERANCE: Record<Dtype, { atol: (k: number) => number; rtol: number }> = {
  f32: { atol: (k) => 1e-5 * Math.sqrt(k), rtol: 1e-5 },
  f16: { atol: (k) => 1e-5 * Math.sqrt(k), rtol: 1e-5 + 2 ** -11 },
};

interface Case {
  m: number;
  n: number;
  k: number;
  lda?: number;
  ldc?: number;
  activation?: Activation;
  residual?: boolean;
  maxBindingBytes?: number;
  dtype?: Dtype;
  /** Forced split-K S (partial sums in an `ActivationPool`); unset: no pool, no split. */
  splits?: number;
  /** The kernel, whichever the device would pick (`subgroup` needs the `subgroups` feature). */
  variant?: MatmulVariant;
  /** Weights as texel views (default: the device's preference). */
  texels?: boolean;
  /** An activation pool even without split-K, so a dense A can be copied into a texel view. */
  pool?: boolean;
}

/**
 * Run one case on the GPU; returns the worst mismatch, the chunk count, the
 * S of each split-K dispatch (its grid z), the values C got and whether A was
 * copied into a texel view.
 */
async function check(device: GPUDevice, runtime: KernelRuntime, c: Case) {
  const { m, n, k } = c;
  const lda = c.lda ?? k, ldc = c.ldc ?? n;
  const activation = c.activation ?? "none";
  const dtype = c.dtype ?? "f32";
  const a = roundTo(dtype, uniformValues(m * lda, 1 + m + 7 * k));
  const w = roundTo(dtype, uniformValues(n * k, 2 + n));
  const bias = uniformValues(n, 3);
  const r = roundTo(dtype, uniformValues(m * ldc, 4));
  // C starts as a sentinel so columns past N (ldc > N) must stay untouched.
  const c0 = new Float32Array(m * ldc).fill(-7);
  const linear = prepareLinear(device, {
    weight: w,
    bias,
    outFeatures: n,
    inFeatures: k,
    label: "test",
    maxBindingBytes: c.maxBindingBytes,
    dtype,
    texels: c.texels,
  });
  const aBuf = storageBuffer(device, a, dtype), cBuf = storageBuffer(device, c0, dtype);
  const rBuf = c.residual ? storageBuffer(device, r, dtype) : undefined;
  const pool = c.splits === undefined && !c.pool ? undefined : new ActivationPool(device);
  const dispatches = await dispatchMatmul(runtime, {
    linear,
    a: aBuf,
    c: cBuf,
    m,
    lda,
    ldc,
    activation,
    residual: rBuf,
    scratch: pool,
    splitK: { splits: c.splits },
    variant: c.variant,
  });
  submitDispatches(device, dispatches);
  const got = await readValues(device, cBuf, m * ldc, dtype);
  const tolerance = TOLERANCE[dtype];
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
      const excess = Math.abs(value - ref) - (tolerance.atol(k) + tolerance.rtol * Math.abs(ref));
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
  for (const chunk of linear.chunks) chunk.weight.destroy();
  for (const b of [linear.bias, aBuf, cBuf, rBuf]) b?.destroy();
  for (const d of dispatches) d.uniformBuffer?.destroy();
  pool?.destroy();
  const splits = dispatches.filter((d) => d.name === "matmul.partial").map((d) => d.workgroups[2]);
  const copiedA = dispatches.some((d) => d.before);
  return { worst, chunks: linear.chunks.length, splits, got, copiedA };
}

function describe(c: Case): string {
  return `${c.dtype ?? "f32"} ${c.variant ?? "default"} M=${c.m} N=${c.n} K=${c.k} lda=${
    c.lda ?? c.k
  } ldc=${c.ldc ?? c.n} act=${c.activation ?? "none"} residual=${c.residual ?? false} splits=${
    c.splits ?? "-"
  } texels=${c.texels ?? "default"}`;
}

async function checkAll(device: GPUDevice, cases: Case[]): Promise<void> {
  const runtime = new KernelRuntime(device);
  for (const c of cases) {
    const { worst, copiedA } = await check(device, runtime, c);
    // A goes through a texel view exactly when W does, a pool holds it and it is dense and packed.
    const step = c.dtype === "f16" ? 8 : 4;
    const dense = c.k % step === 0 && (c.lda ?? c.k) === c.k;
    if (c.texels !== undefined) {
      assert.equal(copiedA, c.texels && (c.pool || c.splits !== undefined) && dense, describe(c));
    }
    assert.ok(
      worst.excess <= 0,
      `${describe(c)}: worst mismatch at ${worst.at}: got ${worst.got}, expected ${worst.ref}`,
    );
  }
}

/** Both dtypes: f32, and f16 storage with f32 arithmetic (needs `shader-f16`, which lavapipe has). */
const DTYPES: Dtype[] = ["f32", "f16"];
/**
 * Each dtype with each kernel: register-blocked (CPU adapters), the same with
 * subgroup-shared rows of A (needs `subgroups`, which lavapipe has) and
 * workgroup-tiled (GPUs).
 */
const KERNELS = DTYPES.flatMap((dtype) =>
  (["simd", "subgroup", "tiled"] as const).map((variant) => ({ dtype, variant }))
);

for (const { dtype, variant } of KERNELS) {
  const ready = (gpu: Gpu) => {
    assertDtypeSupported(gpu, dtype);
    return gpu.device;
  };

  gpuTest(`matmul (${dtype}, ${variant}) matches float64 reference on odd shapes`, async (gpu) => {
    const cases: Case[] = [];
    for (const m of [1, 3, 37, 130, 300]) {
      for (
        const [n, k] of [[1, 17], [2, 34], [3, 64], [65, 100], [200, 768], [65, 17], [520, 36]]
      ) {
        for (const texels of [false, true]) {
          cases.push({ m, n, k, dtype, variant, texels, pool: true });
        }
      }
    }
    await checkAll(ready(gpu), cases);
  });

  gpuTest(`matmul (${dtype}, ${variant}) reads a strided A and writes a strided C`, async (gpu) => {
    await checkAll(
      ready(gpu),
      [false, true].flatMap((texels) =>
        [
          { m: 5, n: 65, k: 64, lda: 64 * 7 }, // the pooler: row b at b·T·H
          { m: 5, n: 65, k: 64, lda: 68 }, // lda a multiple of 4, not of 8
          { m: 3, n: 200, k: 34, lda: 37 }, // lda not a multiple of 4: scalar reads of A
          { m: 9, n: 3, k: 100, lda: 101, ldc: 5 },
          { m: 9, n: 40, k: 96, ldc: 43 }, // dense A (a texel view with texels), strided C
          { m: 9, n: 40, k: 96, ldc: 48 }, // C written as vec4s (N and ldc multiples of 4)
        ].map((c) => ({ ...c, dtype, variant, texels, pool: true }))
      ),
    );
  });

  gpuTest(`matmul (${dtype}, ${variant}) applies each activation and the residual`, async (gpu) => {
    const cases: Case[] = [];
    for (const activation of ["none", "gelu", "gelu_new", "tanh"] as const) {
      cases.push({ m: 37, n: 65, k: 100, activation, dtype, variant });
      cases.push({ m: 3, n: 200, k: 17, activation, residual: true, dtype, variant });
      cases.push({ m: 19, n: 40, k: 96, activation, residual: true, dtype, variant });
    }
    await checkAll(ready(gpu), cases);
  });

  gpuTest(`matmul (${dtype}, ${variant}) splits large weights into column chunks`, async (gpu) => {
    const device = ready(gpu);
    const runtime = new KernelRuntime(device);
    // Chunks are whole workgroup blocks (768 columns f32, 256 f16): three chunks, the last partial.
    const [bytes, block, n] = dtype === "f16" ? [2, 256, 600] : [4, 768, 1800];
    for (const [k, texels] of [[34, false], [34, true], [96, true]] as const) {
      const c = {
        m: 37,
        n,
        k,
        maxBindingBytes: k * bytes * block,
        residual: true,
        dtype,
        variant,
        texels,
        pool: true,
      };
      const { worst, chunks } = await check(device, runtime, { ...c, activation: "gelu" });
      assert.equal(chunks, 3);
      assert.ok(worst.excess <= 0, `${describe(c)}: worst mismatch at ${worst.at}`);
    }
    assert.throws(
      () =>
        prepareLinear(device, {
          weight: new Float32Array(8 * 34),
          bias: new Float32Array(8),
          outFeatures: 8,
          inFeatures: 34,
          label: "tiny",
          maxBindingBytes: 256,
          dtype,
        }),
      /does not fit this device/,
    );
  });
}

for (const { dtype, variant } of KERNELS) {
  const ready = (gpu: Gpu) => {
    assertDtypeSupported(gpu, dtype);
    return gpu.device;
  };
  const step = dtype === "f16" ? 8 : 4;
  /** The S a forced split ends with: ranges rounded up to whole K steps, empty ones dropped. */
  const effective = (k: number, splits: number) =>
    Math.ceil(k / (Math.ceil(k / splits / step) * step));

  gpuTest(
    `matmul (${dtype}, ${variant}) split-K over a forced S matches float64 reference`,
    async (gpu) => {
      const device = ready(gpu);
      const runtime = new KernelRuntime(device);
      const cases: Case[] = [];
      // K not a multiple of the range (102 and 770 not of the step either), odd M and N,
      // bias + GELU + residual; M = 130 spans several row blocks. S = 3 reads texel views.
      for (const splits of [2, 3]) {
        for (const [m, n, k] of [[1, 65, 100], [37, 65, 102], [3, 201, 768], [130, 40, 770]]) {
          const texels = splits === 3;
          cases.push({
            m,
            n,
            k,
            splits,
            activation: "gelu",
            residual: true,
            dtype,
            variant,
            texels,
          });
        }
      }
      for (const activation of ["none", "gelu_new", "tanh"] as const) {
        cases.push({ m: 19, n: 40, k: 96, splits: 2, activation, dtype, variant });
      }
      // The pooler's strided A with a strided C; a scalar-read A (lda not a multiple of 4).
      cases.push({
        m: 5,
        n: 65,
        k: 64,
        lda: 64 * 7,
        ldc: 70,
        splits: 3,
        residual: true,
        dtype,
        variant,
      });
      cases.push({ m: 3, n: 200, k: 34, lda: 37, splits: 2, activation: "tanh", dtype, variant });
      // S past what K allows: one K step per range.
      cases.push({
        m: 9,
        n: 33,
        k: 100,
        splits: 1000,
        residual: true,
        activation: "gelu",
        dtype,
        variant,
      });
      for (const c of cases) {
        const { worst, splits } = await check(device, runtime, c);
        assert.deepEqual(splits, [effective(c.k, c.splits!)], describe(c));
        assert.ok(
          worst.excess <= 0,
          `${describe(c)}: worst mismatch at ${worst.at}: got ${worst.got}, expected ${worst.ref}`,
        );
      }
      assert.equal(effective(100, 1000), Math.ceil(100 / step));
      // Partials are summed in a fixed order: a second run gives the same bits.
      const c = cases[3];
      const [first, second] = [await check(device, runtime, c), await check(device, runtime, c)];
      assert.deepEqual(second.got, first.got);
    },
  );

  gpuTest(
    `matmul (${dtype}, ${variant}) split-K covers every weight chunk at its n0`,
    async (gpu) => {
      const device = ready(gpu);
      const runtime = new KernelRuntime(device);
      const [bytes, block, n] = dtype === "f16" ? [2, 256, 600] : [4, 768, 1800];
      const c: Case = {
        m: 7,
        n,
        k: 300,
        ldc: n + 3,
        maxBindingBytes: 300 * bytes * block,
        activation: "gelu",
        residual: true,
        splits: 2,
        dtype,
        variant,
      };
      const { worst, chunks, splits } = await check(device, runtime, c);
      assert.equal(chunks, 3);
      assert.deepEqual(splits, [2, 2, 2]);
      assert.ok(worst.excess <= 0, `${describe(c)}: worst mismatch at ${worst.at}`);
    },
  );
}

gpuTest(
  "without subgroups the default Linear kernel is simd and subgroup is refused",
  async (gpu) => {
    // acquireGpu asks for subgroups; llvmpipe has them at size 8, so it runs the subgroup kernel.
    if (/llvmpipe/.test(gpu.description)) {
      assert.equal(defaultMatmulVariant(gpu.device), "subgroup");
    }
    // A second device on a fresh adapter, asked for no features at all.
    const adapter = await navigator.gpu.requestAdapter();
    assert.ok(adapter, "no adapter for the second device");
    const plain = await adapter.requestDevice();
    try {
      assert.equal(plain.features.has("subgroups"), false);
      const software = defaultMatmulVariant(gpu.device) !== "tiled";
      assert.equal(defaultMatmulVariant(plain), software ? "simd" : "tiled");
      const linear = prepareLinear(plain, {
        weight: uniformValues(8 * 8, 1),
        bias: uniformValues(8, 2),
        outFeatures: 8,
        inFeatures: 8,
        label: "test",
      });
      const a = storageBuffer(plain, uniformValues(8 * 8, 3), "f32");
      const c = storageBuffer(plain, new Float32Array(64), "f32");
      await assert.rejects(
        dispatchMatmul(new KernelRuntime(plain), { linear, a, c, m: 8, variant: "subgroup" }),
        (error: Error) =>
          error instanceof SubgroupUnsupportedError &&
          /needs the WebGPU feature subgroups/.test(error.message),
      );
    } finally {
      plain.destroy();
    }
  },
);
