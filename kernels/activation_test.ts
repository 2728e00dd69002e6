/**
 * The activation kernel against float64 references over a wide range,
 * including the saturated tails where a naive tanh overflows to NaN.
 * References: exact GELU uses erf computed by series / continued fraction,
 * checked here at hand-known points first.
 */
import assert from "node:assert/strict";
import { type Activation, activationReference, dispatchActivation } from "./activation.ts";
import { KernelRuntime, readFloats, submitDispatches } from "../runtime/kernel.ts";
import { gpuTest } from "../tests/_gpu.ts";

Deno.test("reference GELU matches known erf values", () => {
  // erf(1) = 0.8427007929497149, erf(2) = 0.9953222650189527 (Abramowitz & Stegun Table 7.1).
  assert.ok(
    Math.abs(activationReference.gelu(Math.SQRT2) - 0.5 * Math.SQRT2 * 1.8427007929497149) < 1e-14,
  );
  assert.ok(
    Math.abs(activationReference.gelu(-2 * Math.SQRT2) - -Math.SQRT2 * (1 - 0.9953222650189527)) <
      1e-14,
  );
  assert.equal(activationReference.gelu(0), 0);
});

const ACTIVATIONS: Activation[] = ["gelu", "gelu_new", "tanh"];

gpuTest("activation kernel matches float64 references from -30 to 30", async (gpu) => {
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const xs = Float32Array.from({ length: 6001 }, (_, i) => -30 + i * 0.01);
  const input = device.createBuffer({
    size: xs.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(input, 0, xs);
  for (const activation of ACTIVATIONS) {
    const out = device.createBuffer({
      size: xs.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const dispatch = await dispatchActivation(runtime, {
      activation,
      x: input,
      out,
      count: xs.length,
    });
    submitDispatches(device, [dispatch]);
    const got = await readFloats(device, out, xs.length);
    let worst = 0;
    xs.forEach((x, i) => {
      const expected = activationReference[activation](x);
      // float32 rounding of 1 + tanh(u) near -1 bounds the absolute error in the tails.
      worst = Math.max(worst, Math.abs(got[i] - expected) / (1e-6 + 1e-5 * Math.abs(expected)));
    });
    assert.ok(
      worst <= 1,
      `${activation}: worst error ${
        worst.toExponential(3)
      } of the tolerance (atol 1e-6 + rtol 1e-5)`,
    );
    out.destroy();
  }
  input.destroy();
});
