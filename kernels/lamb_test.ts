/**
 * The LAMB kernels against the update written out in float64 (bias-corrected
 * moments, weight decay only where enabled, clipping scale, per-tensor trust
 * ratio), over three steps whose learning rate and gradient change by
 * rewriting the step and gradient buffers only; and the trust ratio's
 * fall-back to 1 when a norm is zero.
 */
import assert from "node:assert/strict";
import { ADAMW_STEP_SIZE, adamWStepValues } from "./adamw.ts";
import { dispatchLamb } from "./lamb.ts";
import { KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import type { Gpu } from "../runtime/device.ts";
import { gpuTest } from "../tests/_gpu.ts";
import { readValues, storageBuffer } from "../tests/_buffers.ts";

const norm = (x: number[]) => Math.sqrt(x.reduce((s, xi) => s + xi * xi, 0));

/** Float64 LAMB, step by step, as the formula reads. */
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
    const u = out.map((pi, i) => {
      const g = grad[i] * clipScale;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const mHat = m[i] / (1 - beta1 ** t), vHat = v[i] / (1 - beta2 ** t);
      return mHat / (Math.sqrt(vHat) + eps) + (decay ? wd * pi : 0);
    });
    const r1 = norm(out), r2 = norm(u);
    const trust = r1 > 0 && r2 > 0 ? r1 / r2 : 1;
    for (let i = 0; i < out.length; i++) out[i] -= lrs[s] * trust * u[i];
  });
  return out;
}

/** Run LAMB steps on the GPU (fresh zero moments) and read back the parameters. */
async function runLamb(
  gpu: Gpu,
  p0: number[],
  grads: number[][],
  lrs: number[],
  decay: boolean,
  clipScale: number,
  halfCopy?: (copy: Float32Array | Float16Array) => void,
): Promise<Float32Array> {
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const size = p0.length;
  const make = (data: Float32Array<ArrayBuffer>) => storageBuffer(device, data);
  const param = make(Float32Array.from(p0));
  const grad = make(new Float32Array(size));
  const m = make(new Float32Array(size));
  const v = make(new Float32Array(size));
  const update = make(new Float32Array(size));
  const hyper = make(new Float32Array(ADAMW_STEP_SIZE));
  const half = halfCopy ? make(new Float32Array(Math.ceil(size / 2))) : undefined;
  const dispatches = await dispatchLamb(runtime, {
    param,
    grad,
    m,
    v,
    update,
    hyper,
    size,
    decay,
    half,
  });
  assert.equal(dispatches.length, 2);
  for (let s = 0; s < grads.length; s++) {
    device.queue.writeBuffer(grad, 0, Float32Array.from(grads[s]));
    device.queue.writeBuffer(hyper, 0, adamWStepValues({ lr: lrs[s], step: s + 1, clipScale }));
    submitDispatches(device, dispatches);
  }
  const got = await readFloats(device, param, size);
  if (half && halfCopy) halfCopy(await readValues(device, half, size, "f16"));
  for (const b of [param, grad, m, v, update, hyper, half]) b?.destroy();
  return got;
}

/** Assert `got` matches `want` to float32 precision: |got − want| <= 1e-6 + 1e-5·|want|. */
function assertClose(got: Float32Array, want: number[]) {
  const at = want.findIndex((w, i) => !(Math.abs(got[i] - w) <= 1e-6 + 1e-5 * Math.abs(w)));
  assert.equal(at, -1, `element ${at}: got ${got[at]}, want ${want[at]}`);
}

for (const decay of [true, false]) {
  gpuTest(`LAMB kernels match float64 over three steps (decay ${decay})`, async (gpu) => {
    // Not a multiple of the workgroup, nor of the 4 elements an invocation updates.
    const size = 1001;
    const p0 = Array.from({ length: size }, (_, i) => Math.sin(i) * 0.5);
    const grads = [1, 2, 3].map((s) => p0.map((_, i) => Math.cos(i * s) * 0.1 * s));
    const lrs = [1e-2, 5e-3, 2e-3];
    const got = await runLamb(gpu, p0, grads, lrs, decay, 0.5);
    assertClose(got, reference(p0, grads, lrs, decay, 0.5));
    // The step moved the parameters (by about lr · ‖p‖ / √size each).
    assert.ok(Math.abs(got[1] - p0[1]) > 1e-3);
  });
}

gpuTest("LAMB refreshes an f16 copy of the updated weights", async (gpu) => {
  const size = 1000;
  const p0 = Array.from({ length: size }, (_, i) => Math.sin(i) * 0.5);
  const grads = [p0.map((_, i) => Math.cos(i) * 0.1)];
  let copy: Float32Array | Float16Array | undefined;
  const got = await runLamb(gpu, p0, grads, [1e-2], true, 0.5, (c) => (copy = c));
  assert.deepEqual([...copy!], [...new Float16Array(got)]);
});

gpuTest("LAMB with an all-zero gradient and no decay leaves parameters unchanged", async (gpu) => {
  const size = 1000;
  const p0 = Array.from({ length: size }, (_, i) => Math.sin(i) * 0.5);
  const zero = p0.map(() => 0);
  const got = await runLamb(gpu, p0, [zero, zero], [1e-2, 1e-2], false, 0.5);
  // u = 0, so ‖u‖ = 0 and the trust ratio is 1 rather than ‖p‖ / 0 (which would give NaN).
  assert.deepEqual(Array.from(got), Array.from(Float32Array.from(p0)));
});

gpuTest("LAMB on zero parameters (‖p‖ = 0) takes the untrusted step lr · u", async (gpu) => {
  const size = 1000;
  const p0 = new Array<number>(size).fill(0);
  const grads = [p0.map((_, i) => Math.cos(i) * 0.1)];
  const got = await runLamb(gpu, p0, grads, [1e-2], true, 0.5);
  const want = reference(p0, grads, [1e-2], true, 0.5);
  assertClose(got, want);
  assert.ok(Math.abs(got[0]) > 1e-3); // moved, where a trust ratio of 0 would not
});
