/** Global-norm clipping on the GPU against the norm computed in float64. */
import assert from "node:assert/strict";
import { ADAMW_STEP_SLOTS } from "./adamw.ts";
import { dispatchClipByGlobalNorm } from "./grad_norm.ts";
import { LOSS_SCALE_SIZE, lossScaleInitialValues } from "./loss_scale.ts";
import { KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import { gpuTest } from "../tests/_gpu.ts";

gpuTest("clip-by-global-norm writes min(1, maxNorm / norm) and the norm", async (gpu) => {
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const tensors = [1000, 3, 777].map((n, t) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * (t + 1)) * 0.3)
  );
  let squares = 0;
  for (const t of tensors) for (const x of t) squares += x * x;
  const norm = Math.sqrt(squares);
  const storage = (size: number, usage = 0) =>
    device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | usage,
    });
  const grads = tensors.map((t) => {
    const buffer = storage(t.byteLength);
    device.queue.writeBuffer(buffer, 0, t);
    return { buffer, size: t.length };
  });
  for (const maxNorm of [norm / 4, norm * 2]) {
    const partials = storage(16), scaler = storage(LOSS_SCALE_SIZE * 4);
    const hypers = [storage(48), storage(48)];
    device.queue.writeBuffer(scaler, 0, lossScaleInitialValues(undefined));
    const dispatches = await dispatchClipByGlobalNorm(runtime, {
      grads,
      partials,
      hypers,
      scaler,
      scaleSlot: ADAMW_STEP_SLOTS.clipScale,
      maxNorm,
    });
    submitDispatches(device, dispatches);
    const [gotNorm] = await readFloats(device, partials, 1, 3);
    assert.ok(Math.abs(gotNorm - norm) / norm < 1e-5, `norm ${gotNorm} vs ${norm}`);
    const want = Math.min(1, maxNorm / (norm + 1e-6));
    for (const [i, hyper] of hypers.entries()) {
      const [gotScale] = await readFloats(device, hyper, 1, ADAMW_STEP_SLOTS.clipScale);
      assert.ok(Math.abs(gotScale - want) < 1e-5, `step buffer ${i}: scale ${gotScale} vs ${want}`);
    }
  }
});
