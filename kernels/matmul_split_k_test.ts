/**
 * The split-K policy (`matmul_split_k.ts`): which Linears split and into how
 * many ranges, that ranges are whole K steps covering K exactly, and that a
 * scratch size class never reallocates (so recorded dispatches stay bound to
 * live buffers). Results against a reference are in `matmul_test.ts`.
 */
import assert from "node:assert/strict";
import { ActivationPool } from "../backends/webgpu/plan.ts";
import { type Dtype, KernelRuntime, readFloats } from "../runtime/kernel.ts";
import { assertDtypeSupported } from "../runtime/device.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { f16SubgroupBlock } from "./matmul_f16.ts";
import type { SimdBlock } from "./_block.ts";
import {
  defaultMatmulVariant,
  dispatchMatmul,
  type MatmulVariant,
  splitKPlan,
  subgroupBlock,
} from "./matmul.ts";
import { prepareLinear } from "./linear_weights.ts";
import {
  chooseSplits,
  defaultParallelism,
  GPU_PARALLELISM,
  MIN_SPLIT_RANGE,
  scratchRole,
} from "./matmul_split_k.ts";

Deno.test("split-K ranges are whole K steps that cover K exactly", () => {
  for (const step of [4, 8]) {
    for (const k of [17, 100, 768, 770, 3072, 4096]) {
      for (const forced of [1, 2, 3, 7, 64, 1000]) {
        const { splits, range } = chooseSplits(
          { tiles: 1, k, step, maxSplits: Infinity },
          { splits: forced, parallelism: 2 },
        );
        assert.ok(splits >= 1 && splits <= forced, `K=${k} S=${forced}: ${splits}`);
        if (splits === 1) {
          assert.equal(range, k);
          continue;
        }
        assert.equal(range % step, 0, `K=${k} S=${forced}: range ${range}`);
        assert.ok((splits - 1) * range < k && k <= splits * range, `K=${k} S=${forced}`);
      }
    }
  }
});

Deno.test("split-K policy: S = min(ceil(target / tiles), floor(K / 128)), within the binding", () => {
  const policy = (tiles: number, k: number, parallelism: number, maxSplits = Infinity) =>
    chooseSplits({ tiles, k, step: 4, maxSplits }, { parallelism }).splits;
  assert.equal(policy(1, 768, 2), 2);
  assert.equal(policy(1, 768, 64), 768 / MIN_SPLIT_RANGE);
  assert.equal(policy(3, 768, 16), 6);
  assert.equal(policy(2, 768, 2), 1); // the tiles already fill the target
  assert.equal(policy(1, 200, 64), 1); // K too short for two ranges of 128
  assert.equal(policy(1, 768, 64, 3), 3); // the partial sums must fit one binding
  // Unforced ranges hold at least the minimum.
  for (const k of [256, 300, 770, 3072]) {
    const { splits, range } = chooseSplits({ tiles: 1, k, step: 8, maxSplits: Infinity }, {
      parallelism: 1000,
    });
    assert.ok(splits > 1 && range >= MIN_SPLIT_RANGE, `K=${k}: ${splits} × ${range}`);
  }
});

Deno.test("split-K scratch roles are power-of-two size classes", () => {
  assert.equal(scratchRole(1), "split-k.16");
  assert.equal(scratchRole(1024), "split-k.4096");
  assert.equal(scratchRole(1025), "split-k.8192");
  assert.equal(scratchRole(2048), "split-k.8192");
});

/**
 * Expected S by (dtype, M×N×K) at parallelism targets 2 (llvmpipe on two
 * cores), 16 and the GPU guess: the f32 block is 16×768, the f16 one 16×256,
 * so 8×768 is 1 tile in f32 and 3 in f16, and a 1024-row Linear never splits.
 * The `subgroup` kernels give the same up to 16 rows, where their blocks are
 * 8 or 16 rows × 768 (f32) or × 256 (f16); at 1024 rows the f32 one has
 * 16 × 3 = 48 tiles of 64 × 256, which the GPU guess of 64 splits in two
 * (the fourth entry), and the f16 one 22 × 12 of 48 × 64.
 */
const POLICY: [Dtype, [number, number, number], number[], number[]?][] = [
  ["f32", [8, 768, 768], [2, 6, 6]],
  ["f16", [8, 768, 768], [1, 6, 6]],
  ["f32", [16, 768, 3072], [2, 16, 24]],
  ["f16", [16, 768, 3072], [1, 6, 22]],
  ["f32", [16, 3072, 768], [1, 4, 6]],
  ["f32", [1024, 768, 768], [1, 1, 1], [1, 1, 2]],
  ["f16", [1024, 768, 768], [1, 1, 1]],
];

gpuTest(
  "split-K policy: skinny Linears split, a 1024×768×768 one stays one dispatch at CPU targets",
  async (gpu) => {
    const device = gpu.device;
    const runtime = new KernelRuntime(device);
    const pool = new ActivationPool(device);
    const targets = [2, 16, GPU_PARALLELISM];
    // The register-blocked kernels, named on every adapter (a hardware GPU defaults to the
    // tiled kernel, whose 128×128 tiles split otherwise); `subgroup` where the device runs it.
    const variants: MatmulVariant[] = defaultMatmulVariant(device) === "subgroup"
      ? ["simd", "subgroup"]
      : ["simd"];
    try {
      for (const variant of variants) {
        for (const [dtype, [m, n, k], simd, subgroup] of POLICY) {
          const expected = variant === "subgroup" ? subgroup ?? simd : simd;
          assertDtypeSupported(gpu, dtype);
          const linear = prepareLinear(device, {
            weight: new Float32Array(n * k),
            bias: new Float32Array(n),
            outFeatures: n,
            inFeatures: k,
            label: "policy",
            dtype,
          });
          const shape = `${variant} ${dtype} ${m}×${n}×${k}`;
          const got = targets.map((parallelism) =>
            splitKPlan(device, { linear, m, variant, splitK: { parallelism } })[0].splits
          );
          assert.deepEqual(got, expected, shape);
          // Without a target, the device's own (this machine's CPU threads under llvmpipe).
          assert.deepEqual(
            splitKPlan(device, { linear, m, variant }),
            splitKPlan(device, {
              linear,
              m,
              variant,
              splitK: { parallelism: defaultParallelism(device) },
            }),
            shape,
          );
          // What the plan records: a partial and a reduce dispatch, or the one fused dispatch.
          const [a, c] = [pool.get("a", m * k), pool.get("c", m * n)];
          const dispatches = await dispatchMatmul(runtime, {
            linear,
            a,
            c,
            m,
            activation: "tanh",
            scratch: pool,
            splitK: { parallelism: 16 },
            variant,
          });
          assert.deepEqual(
            dispatches.map((d) => d.name),
            expected[1] > 1 ? ["matmul.partial", "matmul.reduce+tanh"] : ["matmul+tanh"],
            shape,
          );
          for (const d of dispatches) d.uniformBuffer?.destroy();
          for (const chunk of linear.chunks) chunk.weight.destroy();
          linear.bias.destroy();
        }
      }
    } finally {
      pool.destroy();
    }
  },
);

gpuTest("split-K scratch: a size class is allocated once and never replaced", async (gpu) => {
  const pool = new ActivationPool(gpu.device);
  try {
    const first = pool.get(scratchRole(1025), 1025);
    gpu.device.queue.writeBuffer(first, 0, new Float32Array([1, 2, 3, 4]));
    const generation = pool.generation;
    // Any later request of the class fits the class's buffer, so earlier dispatches keep theirs.
    assert.equal(pool.get(scratchRole(2048), 2048), first);
    assert.equal(pool.get(scratchRole(1500), 1500), first);
    assert.equal(pool.generation, generation);
    assert.equal(first.size, 8192);
    assert.deepEqual([...await readFloats(gpu.device, first, 4)], [1, 2, 3, 4]);
    assert.notEqual(pool.get(scratchRole(2049), 2049), first);
  } finally {
    pool.destroy();
  }
});

gpuTest("split-K: a forced S without a scratch pool is an error", async (gpu) => {
  const device = gpu.device;
  const linear = prepareLinear(device, {
    weight: new Float32Array(8 * 256),
    bias: new Float32Array(8),
    outFeatures: 8,
    inFeatures: 256,
    label: "tiny",
  });
  const buffer = device.createBuffer({ size: 8192, usage: GPUBufferUsage.STORAGE });
  try {
    await assert.rejects(
      dispatchMatmul(new KernelRuntime(device), {
        linear,
        a: buffer,
        c: buffer,
        m: 4,
        splitK: { splits: 2 },
      }),
      /Split-K with 2 splits needs a scratch pool/,
    );
  } finally {
    for (const b of [buffer, linear.bias, ...linear.chunks.map((c) => c.weight)]) b.destroy();
  }
});

/**
 * The `subgroup` blocks by rows m, as [m, rows, lanes, column groups]. f32: 8, 16 or 32 rows ×
 * 3 vec4 groups at 64 lanes (768 columns) up to m = 32, then 64 × 2 at 32 lanes. f16: 8 or 16
 * rows × 2 groups of 8 columns at 16 lanes up to m = 16, then whole 8-row rounds × 1 group at
 * 8 lanes up to the 48-row block.
 */
const SUBGROUP_BLOCKS: [string, (m: number) => SimdBlock, number[][]][] = [
  ["f32", subgroupBlock, [
    [1, 8, 64, 3],
    [8, 8, 64, 3],
    [9, 16, 64, 3],
    [16, 16, 64, 3],
    [17, 32, 64, 3],
    [32, 32, 64, 3],
    [33, 64, 32, 2],
    [1024, 64, 32, 2],
  ]],
  ["f16", f16SubgroupBlock, [
    [1, 8, 16, 2],
    [8, 8, 16, 2],
    [9, 16, 16, 2],
    [16, 16, 16, 2],
    [17, 24, 8, 1],
    [24, 24, 8, 1],
    [25, 32, 8, 1],
    [47, 48, 8, 1],
    [48, 48, 8, 1],
    [1024, 48, 8, 1],
  ]],
];

Deno.test("the subgroup Linear blocks keep only the rows a skinny product has", () => {
  for (const [dtype, blockOf, cases] of SUBGROUP_BLOCKS) {
    for (const [m, rows, threads, groups] of cases) {
      assert.deepEqual(blockOf(m), { rows, threads, groups }, `${dtype}, m = ${m}`);
    }
  }
});
