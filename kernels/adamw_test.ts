/**
 * The AdamW kernel against the update written out in float64 (bias-corrected
 * moments, decoupled weight decay only where enabled, clipping scale), over
 * three steps whose learning rate changes by rewriting the step buffer only.
 */
import assert from "node:assert/strict";
import { ADAMW_STEP_SIZE, adamWStepValues, dispatchAdamW } from "./adamw.ts";
import { KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { readValues, storageBuffer } from "../tests/_buffers.ts";

/** Float64 AdamW, step by step, as the formula reads. */
function reference(
  p: number[],
  grads: number[][],
  lrs: number[],
  decay: boolean,
  clipScale: number,
): number[] {
  const [beta1, beta2, eps, wd] = [0.9, 0.999, 1e-6, 0.01];
  const m = p.map(() => 0), v = p.map(() => 0), out = p.slice();
  grads.forEach((grad, s) => {
    const t = s + 1;
    for (let i = 0; i < out.length; i++) {
      const g = grad[i] * clipScale;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const mHat = m[i] / (1 - beta1 ** t), vHat = v[i] / (1 - beta2 ** t);
      out[i] -= lrs[s] * (mHat / (Math.sqrt(vHat) + eps) + (decay ? wd * out[i] : 0));
    }
  });
  return out;
}

// 1000 takes the vec4 kernel; 1001, not a multiple of 4, the one with 4 elements per invocation.
for (
  const [decay, half, size] of [
    [true, false, 1000],
    [false, false, 1000],
    [true, true, 1000],
    [true, false, 1001],
    [true, true, 1001],
  ] as const
) {
  const copy = half ? ", refreshing an f16 copy" : "";
  const name =
    `AdamW kernel matches float64 over three steps (size ${size}, decay ${decay}${copy})`;
  gpuTest(name, async (gpu) => {
    const { device } = gpu;
    const runtime = new KernelRuntime(device);
    const p0 = Array.from({ length: size }, (_, i) => Math.sin(i) * 0.5);
    const grads = [1, 2, 3].map((s) => p0.map((_, i) => Math.cos(i * s) * 0.1 * s));
    const lrs = [1e-3, 5e-4, 2e-4];
    const clipScale = 0.5;
    const make = (data: Float32Array<ArrayBuffer>) => storageBuffer(device, data);
    // One element past the end (in the buffer's 16-byte padding, or a whole vec4) must stay untouched.
    const param = make(Float32Array.from([...p0, 7]));
    const grad = make(new Float32Array(size));
    const m = make(new Float32Array(size));
    const v = make(new Float32Array(size));
    const hyper = make(new Float32Array(ADAMW_STEP_SIZE));
    const halfCopy = half ? make(new Float32Array(Math.ceil(size / 2))) : undefined;
    const dispatch = await dispatchAdamW(runtime, {
      param,
      grad,
      m,
      v,
      hyper,
      size,
      decay,
      half: halfCopy,
    });
    for (let s = 0; s < 3; s++) {
      device.queue.writeBuffer(grad, 0, Float32Array.from(grads[s]));
      device.queue.writeBuffer(hyper, 0, adamWStepValues({ lr: lrs[s], step: s + 1, clipScale }));
      submitDispatches(device, [dispatch]);
    }
    const got = await readFloats(device, param, size);
    assert.equal((await readFloats(device, param, 1, size))[0], 7, "wrote past the tensor");
    const want = reference(p0, grads, lrs, decay, clipScale);
    let worst = 0;
    for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst < 1e-6, `max abs error ${worst}`);
    // The update moved every parameter (Adam's first steps move each by about lr).
    assert.ok(Math.abs(got[1] - p0[1]) > 1e-4);
    if (halfCopy) {
      // The copy holds each updated weight rounded to f16.
      const copied = await readValues(device, halfCopy, size, "f16");
      assert.deepEqual([...copied], [...new Float16Array(got)]);
    }
  });
}
