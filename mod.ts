/**
 * The harness's public library API: model configs and the zoo, parameter
 * counting, weight layout, checkpoints, the two engines behind the `Backend`
 * interface (WebGPU kernels and the ONNX Runtime reference), run-record
 * fingerprints and files, and summary statistics.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend, resolveModel } from "./mod.ts";
 * const model = await resolveModel("albert-base-v2", { seed: 0 });
 * const backend = await createWebGpuBackend(model);
 * ```
 *
 * @module
 */
export * from "./models/config.ts";
export * from "./models/zoo.ts";
export * from "./models/params.ts";
export * from "./models/layout.ts";
export * from "./models/model.ts";
export { loadCheckpoint, saveCheckpoint } from "./models/checkpoint.ts";
export { CheckpointError } from "./models/safetensors.ts";
export { initWeights, randomModel } from "./models/init.ts";
export { resolveModel } from "./models/resolve.ts";
export type * from "./backends/backend.ts";
export { createWebGpuBackend, WebGpuBackend } from "./backends/webgpu/engine.ts";
export { createOnnxBackend, OnnxBackend } from "./backends/onnx/engine.ts";
export { buildOnnxModel } from "./backends/onnx/graph.ts";
export { BufferLimitError } from "./kernels/matmul.ts";
export * from "./runtime/device.ts";
export * from "./runtime/fingerprint.ts";
export * from "./runtime/records.ts";
export * from "./runtime/stats.ts";
