/**
 * Dynamic loss scaling on the GPU, against values worked out by hand: the
 * clipping kernel unscales the norm and the update, clears `apply` on a
 * non-finite norm and derives Adam's bias correction from the updates
 * applied; the update kernel halves the scale on overflow (never below 1)
 * and doubles it after `growthInterval` clean steps; a fixed scale (f32
 * training) changes nothing; and AdamW leaves every buffer alone when told to
 * skip.
 */
import assert from "node:assert/strict";
import { ADAMW_STEP_SIZE, ADAMW_STEP_SLOTS as H, adamWStepValues, dispatchAdamW } from "./adamw.ts";
import { dispatchClipByGlobalNorm } from "./grad_norm.ts";
import {
  dispatchLossScaleUpdate,
  LOSS_SCALE_SIZE,
  LOSS_SCALE_SLOTS as L,
  lossScaleInitialValues,
} from "./loss_scale.ts";
import { type Dispatch, KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { storageBuffer } from "../tests/_buffers.ts";

/** f32 rounding of a float64 value. */
const f32 = (x: number) => Math.fround(x);

interface Rig {
  device: GPUDevice;
  grads: GPUBuffer[];
  hyper: GPUBuffer;
  /** A second learning-rate group's step buffer (the adapters'), clipped in the same step. */
  adapterHyper: GPUBuffer;
  scaler: GPUBuffer;
  partials: GPUBuffer;
  step: Dispatch[];
  destroy(): void;
}

/** Two gradient tensors, the clip dispatches and the scale update, over fresh buffers. */
async function rig(
  device: GPUDevice,
  scaler0: Float32Array<ArrayBuffer>,
  growthInterval: number,
): Promise<Rig> {
  const runtime = new KernelRuntime(device);
  const storage = (bytes: number) =>
    device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
  const grads = [storage(16), storage(16)];
  const hyper = storage(ADAMW_STEP_SIZE * 4), scaler = storage(LOSS_SCALE_SIZE * 4);
  const adapterHyper = storage(ADAMW_STEP_SIZE * 4);
  const partials = storage(16);
  device.queue.writeBuffer(scaler, 0, scaler0);
  const step = [
    ...await dispatchClipByGlobalNorm(runtime, {
      grads: grads.map((buffer) => ({ buffer, size: 4 })),
      partials,
      hypers: [hyper, adapterHyper],
      scaler,
      scaleSlot: H.clipScale,
      maxNorm: 1,
    }),
    await dispatchLossScaleUpdate(runtime, { partials, scaler, count: 2, growthInterval }),
  ];
  return {
    device,
    grads,
    hyper,
    adapterHyper,
    scaler,
    partials,
    step,
    destroy: () => [...grads, hyper, adapterHyper, scaler, partials].forEach((b) => b.destroy()),
  };
}

/** Write gradients and the host's step values, run the step, read hyper, scaler and norm. */
async function run(r: Rig, grads: number[][], stepValues = adamWStepValues({ lr: 1, step: 1 })) {
  grads.forEach((g, i) => r.device.queue.writeBuffer(r.grads[i], 0, Float32Array.from(g)));
  r.device.queue.writeBuffer(r.hyper, 0, stepValues);
  r.device.queue.writeBuffer(r.adapterHyper, 0, stepValues);
  submitDispatches(r.device, r.step);
  return {
    hyper: await readFloats(r.device, r.hyper, ADAMW_STEP_SIZE),
    adapterHyper: await readFloats(r.device, r.adapterHyper, ADAMW_STEP_SIZE),
    scaler: await readFloats(r.device, r.scaler, LOSS_SCALE_SIZE),
    norm: (await readFloats(r.device, r.partials, 1, 2))[0],
  };
}

gpuTest(
  "Loss scaling: the norm and the update are unscaled, bias correction counts applied steps",
  async (gpu) => {
    // Four updates applied before: β^4 in the running products.
    const initial = lossScaleInitialValues({ initScale: 1024 });
    initial[L.beta1Power] = 0.9 ** 4;
    initial[L.beta2Power] = 0.999 ** 4;
    const r = await rig(gpu.device, initial, 2000);
    try {
      // Unscaled gradients (3, 0, 0, 0) and (0, 4, 0, 0): norm 5, clipped to 1 → clip scale 1/5.
      const got = await run(r, [[3 * 1024, 0, 0, 0], [0, 4 * 1024, 0, 0]]);
      assert.equal(got.norm, 5);
      assert.ok(Math.abs(got.hyper[H.clipScale] - f32(1 / (5 + 1e-6)) / 1024) < 1e-12);
      assert.equal(got.hyper[H.apply], 1);
      // Five updates applied counting this one: 1 − 0.9⁵ and 1 − 0.999⁵.
      assert.ok(Math.abs(got.hyper[H.biasCorrection1] - (1 - 0.9 ** 5)) < 1e-6);
      assert.ok(Math.abs(got.hyper[H.biasCorrection2] - (1 - 0.999 ** 5)) < 1e-6);
      assert.equal(got.scaler[L.scale], 1024);
      assert.ok(Math.abs(got.scaler[L.beta1Power] - 0.9 ** 5) < 1e-7);
      assert.ok(Math.abs(got.scaler[L.beta2Power] - 0.999 ** 5) < 1e-7);
      assert.equal(got.scaler[L.goodSteps], 1);
      assert.equal(got.scaler[L.skipped], 0);
      // The second group's pass reads the same state, so it gets the same values.
      assert.deepEqual([...got.adapterHyper], [...got.hyper]);
    } finally {
      r.destroy();
    }
  },
);

gpuTest("Loss scaling: an overflowed gradient skips the step and halves the scale", async (gpu) => {
  const r = await rig(gpu.device, lossScaleInitialValues({ initScale: 1024 }), 2000);
  try {
    for (const bad of [Infinity, NaN]) {
      const before = await readFloats(gpu.device, r.scaler, LOSS_SCALE_SIZE);
      const got = await run(r, [[1, bad, 0, 0], [0, 0, 0, 0]]);
      assert.equal(got.hyper[H.apply], 0, `apply after a gradient of ${bad}`);
      assert.equal(got.adapterHyper[H.apply], 0, `the adapters' apply after ${bad}`);
      assert.equal(got.scaler[L.scale], before[L.scale] / 2);
      assert.equal(got.scaler[L.skipped], before[L.skipped] + 1);
      assert.equal(got.scaler[L.beta1Power], 1, "a skipped step is not an applied step");
      assert.equal(got.scaler[L.beta2Power], 1, "a skipped step is not an applied step");
      assert.equal(got.scaler[L.goodSteps], 0);
    }
  } finally {
    r.destroy();
  }
});

gpuTest(
  "Loss scaling: the scale doubles after growthInterval clean steps, stays ≥ 1, counts overflows at 1",
  async (gpu) => {
    const r = await rig(gpu.device, lossScaleInitialValues({ initScale: 2 }), 3);
    try {
      const clean = [[2, 0, 0, 0], [0, 0, 0, 0]];
      const scales = [];
      for (let i = 0; i < 4; i++) scales.push((await run(r, clean)).scaler[L.scale]);
      assert.deepEqual(scales, [2, 2, 4, 4]);
      const overflow = [[Infinity, 0, 0, 0], [0, 0, 0, 0]];
      const halved = [];
      for (let i = 0; i < 4; i++) halved.push((await run(r, overflow)).scaler[L.scale]);
      assert.deepEqual(halved, [2, 1, 1, 1]);
      // From 4: the overflows at 4 and 2 halve it; the last two come at 1, where halving cannot help.
      const state = await readFloats(gpu.device, r.scaler, LOSS_SCALE_SIZE);
      assert.equal(state[L.overflowsAtMinimum], 2);
    } finally {
      r.destroy();
    }
  },
);

gpuTest(
  "A fixed loss scale (f32 training) leaves the host's step values and never skips",
  async (gpu) => {
    const r = await rig(gpu.device, lossScaleInitialValues(undefined), 1);
    try {
      const values = adamWStepValues({ lr: 1, step: 7 });
      const got = await run(r, [[Infinity, 0, 0, 0], [0, 0, 0, 0]], values);
      assert.equal(got.hyper[H.apply], 1);
      assert.equal(got.hyper[H.biasCorrection1], values[H.biasCorrection1]);
      assert.equal(got.hyper[H.biasCorrection2], values[H.biasCorrection2]);
      assert.deepEqual([...got.scaler], [...lossScaleInitialValues(undefined)]);
      const clean = await run(r, [[0.6, 0, 0, 0], [0, 0.8, 0, 0]], values);
      assert.ok(Math.abs(clean.hyper[H.clipScale] - 1 / (1 + 1e-6)) < 1e-6);
    } finally {
      r.destroy();
    }
  },
);

gpuTest("AdamW skips the update (weights and moments unchanged) when apply is 0", async (gpu) => {
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const make = (data: Float32Array<ArrayBuffer>) => storageBuffer(device, data);
  const p0 = Float32Array.of(0.5, -0.25, 1, 2);
  const [param, grad, m, v] = [
    p0,
    Float32Array.of(1, 1, 1, 1),
    new Float32Array(4),
    new Float32Array(4),
  ]
    .map(make);
  const values = adamWStepValues({ lr: 0.1, step: 1 });
  values[H.apply] = 0;
  const hyper = make(values);
  try {
    submitDispatches(device, [
      await dispatchAdamW(runtime, { param, grad, m, v, hyper, size: 4, decay: true }),
    ]);
    assert.deepEqual([...await readFloats(device, param, 4)], [...p0]);
    assert.deepEqual([...await readFloats(device, m, 4)], [0, 0, 0, 0]);
    assert.deepEqual([...await readFloats(device, v, 4)], [0, 0, 0, 0]);
  } finally {
    for (const b of [param, grad, m, v, hyper]) b.destroy();
  }
});
