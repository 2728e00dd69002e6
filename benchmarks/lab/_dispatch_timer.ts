/**
 * The lab scripts' timer: one compute dispatch per submit, timed by wall clock
 * from encoding to `onSubmittedWorkDone` (the submit's fixed cost included, as
 * the lab headers' figures assume).
 */
import { median } from "../../runtime/stats.ts";

/** One kernel bound and ready to dispatch over `grid` workgroups. */
export interface BoundDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number?, number?];
}

/** Milliseconds of one submitted dispatch. */
export async function timeDispatch(device: GPUDevice, d: BoundDispatch): Promise<number> {
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(...d.grid);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

/** Median milliseconds of `reps` dispatches, after one untimed warm-up unless `warm` is false. */
export async function medianDispatchMs(
  device: GPUDevice,
  d: BoundDispatch,
  { reps = 5, warm = true }: { reps?: number; warm?: boolean } = {},
): Promise<number> {
  if (warm) await timeDispatch(device, d);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await timeDispatch(device, d));
  return median(times);
}
