/**
 * The ONNX Runtime backend: runs the graph `buildOnnxModel` makes from the
 * model's weights on onnxruntime-node's CPU provider. It is the independent
 * numerical reference for the WebGPU kernels and the CPU speed baseline.
 */
import * as ort from "onnxruntime-node";
import type { BackendInfo } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { buildOnnxModel } from "./graph.ts";
import { OrtSessionBackend } from "./session_backend.ts";

/** Options of the ONNX Runtime backend. */
export interface OnnxBackendOptions {
  /** Default task for inputs that name none (multi-task models); default 0. */
  task?: number;
  /** Threads ONNX Runtime uses inside one op; its own default when unset. */
  intraOpNumThreads?: number;
}

/**
 * onnxruntime-node's tensor, under a local name so the public class's heritage
 * does not name the npm package's type.
 *
 * @internal
 */
type OrtTensor = ort.Tensor;

/** A model on ONNX Runtime (CPU); one session per task, built on first use. */
export class OnnxBackend extends OrtSessionBackend<OrtTensor, OrtTensor> {
  /** Fixed: `onnxruntime` on `cpu`, no features; `dtype` unset as it is always f32. */
  readonly info: BackendInfo = { name: "onnxruntime", device: "cpu", features: [] };
  readonly #options: OnnxBackendOptions;

  /** Wrap a model; nothing is built until the first `run`. */
  constructor(model: Model, options: OnnxBackendOptions = {}) {
    super(model, "ONNX Runtime", options.task ?? 0);
    this.#options = options;
  }

  /**
   * A CPU-provider session of the task's graph, all graph optimisations on.
   * @internal
   */
  protected createSession(task: number): Promise<ort.InferenceSession> {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
    };
    if (this.#options.intraOpNumThreads !== undefined) {
      options.intraOpNumThreads = this.#options.intraOpNumThreads;
    }
    return ort.InferenceSession.create(buildOnnxModel(this.model, { task }), options);
  }

  /**
   * An int64 input tensor of shape `dims`.
   * @internal
   */
  protected int64Tensor(data: BigInt64Array, dims: number[]): ort.Tensor {
    return new ort.Tensor("int64", data, dims);
  }

  /**
   * An output's float32 values (the tensor's own array, not a copy).
   * @internal
   */
  protected floats(output: ort.Tensor): Float32Array {
    return output.data as Float32Array;
  }
}

/** Create the ONNX Runtime backend for a model. */
export function createOnnxBackend(model: Model, options: OnnxBackendOptions = {}): OnnxBackend {
  return new OnnxBackend(model, options);
}
