/**
 * The ONNX Runtime backend: runs the graph `buildOnnxModel` makes from the
 * model's weights on onnxruntime-node's CPU provider. It is the independent
 * numerical reference for the WebGPU kernels and the CPU speed baseline.
 */
import * as ort from "onnxruntime-node";
import type { Backend, BackendInfo, EncoderInput, EncoderOutput, OutputName } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { buildOnnxModel, ONNX_OUTPUTS } from "./graph.ts";
import { ALL_OUTPUTS, int64Inputs, wantedOutputs } from "./feeds.ts";
import { validateInput } from "../validate.ts";

/** Options of the ONNX Runtime backend. */
export interface OnnxBackendOptions {
  /** Default task for inputs that name none (multi-task models); default 0. */
  task?: number;
  /** Threads ONNX Runtime uses inside one op; its own default when unset. */
  intraOpNumThreads?: number;
}

/** A model on ONNX Runtime (CPU); one session per task, built on first use. */
export class OnnxBackend implements Backend {
  readonly info: BackendInfo = { name: "onnxruntime", device: "cpu", features: [] };
  readonly #model: Model;
  readonly #options: OnnxBackendOptions;
  readonly #sessions = new Map<number, Promise<ort.InferenceSession>>();
  #disposed = false;

  /** Wrap a model; nothing is built until the first `run`. */
  constructor(model: Model, options: OnnxBackendOptions = {}) {
    this.#model = model;
    this.#options = options;
  }

  /** Run the encoder and head on one batch; `outputs` defaults to all three. */
  async run(input: EncoderInput, outputs: OutputName[] = ALL_OUTPUTS): Promise<EncoderOutput> {
    if (this.#disposed) throw new Error("Cannot run: the ONNX Runtime backend was disposed");
    const task = validateInput(this.#model.config, input, this.#options.task ?? 0);
    const wanted = wantedOutputs(this.#model.config, outputs);
    if (wanted.length === 0) return {};
    const session = await this.#session(task);
    const feeds: Record<string, ort.Tensor> = {};
    for (const { name, data, dims } of int64Inputs(input)) {
      feeds[name] = new ort.Tensor("int64", data, dims);
    }
    const results = await session.run(feeds, wanted.map((name) => ONNX_OUTPUTS[name]));
    const output: EncoderOutput = {};
    for (const name of wanted) output[name] = results[ONNX_OUTPUTS[name]].data as Float32Array;
    return output;
  }

  /** Release every session. */
  dispose(): void {
    this.#disposed = true;
    for (const session of this.#sessions.values()) {
      session.then((s) => s.release()).catch(() => {});
    }
    this.#sessions.clear();
  }

  #session(task: number): Promise<ort.InferenceSession> {
    let session = this.#sessions.get(task);
    if (!session) {
      const bytes = buildOnnxModel(this.#model, { task });
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
      };
      if (this.#options.intraOpNumThreads !== undefined) {
        options.intraOpNumThreads = this.#options.intraOpNumThreads;
      }
      session = ort.InferenceSession.create(bytes, options);
      this.#sessions.set(task, session);
    }
    return session;
  }
}

/** Create the ONNX Runtime backend for a model. */
export function createOnnxBackend(model: Model, options: OnnxBackendOptions = {}): OnnxBackend {
  return new OnnxBackend(model, options);
}
