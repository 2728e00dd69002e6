/**
 * Shared set-up of GPU tests: one device per test file, released when the
 * file's last GPU test ends. Without a WebGPU adapter the tests are reported
 * as ignored on a developer machine and fail under CI (`CI=true`), where
 * `.ci/run` installs Mesa's Vulkan driver and an adapter must exist.
 */
import { acquireGpu, type Gpu, hasWebGpuAdapter } from "../runtime/device.ts";

const ignore = !(await hasWebGpuAdapter()) && !Deno.env.get("CI");

let shared: Promise<Gpu> | undefined;
let pending = 0;

/** Register a Deno test that receives the file's shared GPU device. */
export function gpuTest(name: string, fn: (gpu: Gpu) => Promise<void>): void {
  pending++;
  Deno.test({
    name,
    ignore,
    // WebGPU keeps device-level resources alive between tests of a file.
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const gpu = await (shared ??= acquireGpu());
      try {
        await fn(gpu);
      } finally {
        if (--pending === 0) gpu.device.destroy();
      }
    },
  });
}
