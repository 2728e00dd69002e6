/**
 * The ONNX Runtime reference backend: an ONNX graph built from the model's
 * weights with standard ops, run on onnxruntime-node's CPU provider.
 */
export { createOnnxBackend, OnnxBackend, type OnnxBackendOptions } from "./engine.ts";
export { buildOnnxModel, type BuildOptions, ONNX_INPUTS, ONNX_OUTPUTS } from "./graph.ts";
export { MASK_VALUE } from "./_ops.ts";
