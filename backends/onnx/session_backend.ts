/**
 * What the onnxruntime-node and onnxruntime-web backends share: one session
 * per task built on first use from `buildOnnxModel`'s graph, int64 feeds under
 * the graph's input names, the requested outputs fetched by name, and release
 * on dispose. A subclass says how its package makes a session and a tensor and
 * reads an output.
 */
import type { Backend, BackendInfo, EncoderInput, EncoderOutput, OutputName } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { ONNX_OUTPUTS } from "./graph.ts";
import { ALL_OUTPUTS, int64Inputs, wantedOutputs } from "./feeds.ts";
import { validateInput } from "../validate.ts";

/** The part of an ONNX Runtime session (either package) the backends use. */
export interface OrtSession<T, O> {
  run(feeds: Record<string, T>, fetches: string[]): Promise<Record<string, O>>;
  release(): Promise<void>;
}

/**
 * A model on an ONNX Runtime package; `T` is its tensor type, `O` its output value type.
 * The shared base of the two ORT backends, not public API: callers use `Backend`.
 *
 * @internal
 */
export abstract class OrtSessionBackend<T, O> implements Backend {
  abstract readonly info: BackendInfo;
  readonly #sessions = new Map<number, Promise<OrtSession<T, O>>>();
  #disposed = false;

  /** `engine` names the package in errors; `task` is the default for inputs that name none. */
  constructor(
    protected readonly model: Model,
    readonly engine: string,
    readonly task = 0,
  ) {}

  /** Build the session of a task's graph. */
  protected abstract createSession(task: number): Promise<OrtSession<T, O>>;
  /** An int64 input tensor. */
  protected abstract int64Tensor(data: BigInt64Array, dims: number[]): T | Promise<T>;
  /** The float32 values of an output. */
  protected abstract floats(output: O): Float32Array | Promise<Float32Array>;

  /** Run the encoder and head on one batch; `outputs` defaults to all three. */
  async run(input: EncoderInput, outputs: OutputName[] = ALL_OUTPUTS): Promise<EncoderOutput> {
    if (this.#disposed) throw new Error(`Cannot run: the ${this.engine} backend was disposed`);
    const task = validateInput(this.model.config, input, this.task);
    const wanted = wantedOutputs(this.model.config, outputs);
    if (wanted.length === 0) return {};
    let session = this.#sessions.get(task);
    if (!session) {
      session = this.createSession(task);
      this.#sessions.set(task, session);
    }
    const feeds: Record<string, T> = {};
    for (const { name, data, dims } of int64Inputs(input)) {
      feeds[name] = await this.int64Tensor(data, dims);
    }
    const results = await (await session).run(feeds, wanted.map((name) => ONNX_OUTPUTS[name]));
    const output: EncoderOutput = {};
    for (const name of wanted) output[name] = await this.floats(results[ONNX_OUTPUTS[name]]);
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
}
