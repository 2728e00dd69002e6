/**
 * onnxruntime-web as a peer engine: the same ONNX graph `buildOnnxModel` makes
 * for the onnxruntime-node reference, run by onnxruntime-web's WebGPU or
 * WebAssembly execution provider inside Deno.
 *
 * How it is made to run in Deno (see `loadOnnxWeb`):
 * - Each provider uses the package's own build for it. Deno resolves the bare
 *   `onnxruntime-web` with the `node` condition to `ort.node.min.mjs` (wasm and
 *   cpu providers; pthreads as Node worker threads); `onnxruntime-web/webgpu`
 *   is the browser build with the WebGPU provider, which finds `navigator.gpu`
 *   (Deno has it without flags).
 * - `env.wasm.wasmPaths` points at the package's `dist/` folder in
 *   `node_modules`, so the `.wasm` binaries are never downloaded at run time.
 * - Threads: the wasm provider uses every logical core, as onnxruntime-node
 *   does by default. The browser build must stay single-threaded: its threaded
 *   start imports the wasm loader from a `blob:` URL, which Deno refuses for
 *   npm modules (`ERR_UNSUPPORTED_ESM_URL_SCHEME`). The WebGPU provider does
 *   its work on the GPU, so this only affects ops it leaves on the CPU.
 */
import type * as OrtWeb from "onnxruntime-web";
import type { Backend, BackendInfo, EncoderInput, EncoderOutput, OutputName } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { buildOnnxModel, ONNX_OUTPUTS } from "../onnx/graph.ts";
import { ALL_OUTPUTS, int64Inputs, wantedOutputs } from "../onnx/feeds.ts";
import { validateInput } from "../validate.ts";
import { GpuUnavailableError, hasWebGpuAdapter } from "../../runtime/device.ts";

/** An onnxruntime-web execution provider. */
export type OnnxWebProvider = "webgpu" | "wasm";

/** Options of the onnxruntime-web backend. */
export interface OnnxWebBackendOptions {
  provider: OnnxWebProvider;
  /** Default task for inputs that name none (multi-task models); default 0. */
  task?: number;
}

type Ort = typeof OrtWeb;

/** ONNX Runtime's severity "error": no per-session warnings on the console. */
const LOG_ERRORS_ONLY = 3;
const modules = new Map<OnnxWebProvider, Promise<Ort>>();

/** Threads of a provider's wasm runtime (see the module comment). */
export function onnxWebThreads(provider: OnnxWebProvider): number {
  return provider === "wasm" ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
}

/** Import and configure (once per process) the onnxruntime-web build of a provider. */
export function loadOnnxWeb(provider: OnnxWebProvider): Promise<Ort> {
  let loaded = modules.get(provider);
  if (!loaded) {
    loaded = (async () => {
      const ort: Ort = provider === "webgpu"
        ? await import("onnxruntime-web/webgpu")
        : await import("onnxruntime-web");
      const entry = import.meta.resolve(
        provider === "webgpu" ? "onnxruntime-web/webgpu" : "onnxruntime-web",
      );
      if (!entry.startsWith("file:")) {
        throw new Error(`onnxruntime-web resolved to ${entry}, not a file: cannot find its wasm`);
      }
      ort.env.wasm.wasmPaths = new URL("./", entry).href;
      ort.env.wasm.numThreads = onnxWebThreads(provider);
      ort.env.wasm.proxy = false;
      ort.env.logLevel = "error";
      if (provider === "webgpu") ort.env.webgpu.powerPreference = "high-performance";
      return ort;
    })();
    modules.set(provider, loaded);
    loaded.catch(() => modules.delete(provider));
  }
  return loaded;
}

/** A model on onnxruntime-web; one session per task, built on first use. */
export class OnnxWebBackend implements Backend {
  readonly info: BackendInfo;
  readonly #model: Model;
  readonly #options: OnnxWebBackendOptions;
  readonly #sessions = new Map<number, Promise<OrtWeb.InferenceSession>>();
  #disposed = false;

  /** Wrap a model; nothing is loaded until the first `run`. */
  constructor(model: Model, options: OnnxWebBackendOptions) {
    if (options.provider !== "webgpu" && options.provider !== "wasm") {
      throw new RangeError(`Unknown onnxruntime-web provider "${options.provider}"`);
    }
    this.#model = model;
    this.#options = options;
    const threads = onnxWebThreads(options.provider);
    this.info = {
      name: "onnxruntime",
      device: `onnxruntime-web ${options.provider} (${threads} wasm thread${
        threads > 1 ? "s" : ""
      })`,
      features: [],
    };
  }

  /** Run the encoder and head on one batch; `outputs` defaults to all three. */
  async run(input: EncoderInput, outputs: OutputName[] = ALL_OUTPUTS): Promise<EncoderOutput> {
    if (this.#disposed) throw new Error("Cannot run: the onnxruntime-web backend was disposed");
    const task = validateInput(this.#model.config, input, this.#options.task ?? 0);
    const wanted = wantedOutputs(this.#model.config, outputs);
    if (wanted.length === 0) return {};
    const ort = await loadOnnxWeb(this.#options.provider);
    const session = await this.#session(ort, task);
    const feeds: Record<string, OrtWeb.Tensor> = {};
    for (const { name, data, dims } of int64Inputs(input)) {
      feeds[name] = new ort.Tensor("int64", data, dims);
    }
    const results = await session.run(feeds, wanted.map((name) => ONNX_OUTPUTS[name]));
    const output: EncoderOutput = {};
    for (const name of wanted) {
      const tensor = results[ONNX_OUTPUTS[name]];
      output[name] = (await tensor.getData(true)) as Float32Array;
    }
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

  #session(ort: Ort, task: number): Promise<OrtWeb.InferenceSession> {
    let session = this.#sessions.get(task);
    if (!session) {
      session = this.#create(ort, task);
      this.#sessions.set(task, session);
    }
    return session;
  }

  async #create(ort: Ort, task: number): Promise<OrtWeb.InferenceSession> {
    const { provider } = this.#options;
    if (provider === "webgpu" && !(await hasWebGpuAdapter())) {
      throw new GpuUnavailableError(
        "onnxruntime-web webgpu: no WebGPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers)",
      );
    }
    return await ort.InferenceSession.create(buildOnnxModel(this.#model, { task }), {
      executionProviders: [provider],
      graphOptimizationLevel: "all",
      logSeverityLevel: LOG_ERRORS_ONLY,
    });
  }
}

/** Create the onnxruntime-web backend of a model on one execution provider. */
export function createOnnxWebBackend(model: Model, options: OnnxWebBackendOptions): OnnxWebBackend {
  return new OnnxWebBackend(model, options);
}
