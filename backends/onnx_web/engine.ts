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
import type { BackendInfo } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { buildOnnxModel } from "../onnx/graph.ts";
import { OrtSessionBackend } from "../onnx/session_backend.ts";
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
export class OnnxWebBackend extends OrtSessionBackend<OrtWeb.Tensor, OrtWeb.Tensor> {
  readonly info: BackendInfo;
  readonly #provider: OnnxWebProvider;

  /** Wrap a model; nothing is loaded until the first `run`. */
  constructor(model: Model, options: OnnxWebBackendOptions) {
    if (options.provider !== "webgpu" && options.provider !== "wasm") {
      throw new RangeError(`Unknown onnxruntime-web provider "${options.provider}"`);
    }
    super(model, "onnxruntime-web", options.task ?? 0);
    this.#provider = options.provider;
    const threads = onnxWebThreads(options.provider);
    this.info = {
      name: "onnxruntime",
      device: `onnxruntime-web ${options.provider} (${threads} wasm thread${
        threads > 1 ? "s" : ""
      })`,
      features: [],
    };
  }

  protected async createSession(task: number): Promise<OrtWeb.InferenceSession> {
    const provider = this.#provider;
    const ort = await loadOnnxWeb(provider);
    if (provider === "webgpu" && !(await hasWebGpuAdapter())) {
      throw new GpuUnavailableError(
        "onnxruntime-web webgpu: no WebGPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers)",
      );
    }
    return await ort.InferenceSession.create(buildOnnxModel(this.model, { task }), {
      executionProviders: [provider],
      graphOptimizationLevel: "all",
      logSeverityLevel: LOG_ERRORS_ONLY,
    });
  }

  protected async int64Tensor(data: BigInt64Array, dims: number[]): Promise<OrtWeb.Tensor> {
    const ort = await loadOnnxWeb(this.#provider);
    return new ort.Tensor("int64", data, dims);
  }

  protected async floats(output: OrtWeb.Tensor): Promise<Float32Array> {
    // getData(true) downloads a GPU-resident output and releases its GPU data.
    return (await output.getData(true)) as Float32Array;
  }
}

/** Create the onnxruntime-web backend of a model on one execution provider. */
export function createOnnxWebBackend(model: Model, options: OnnxWebBackendOptions): OnnxWebBackend {
  return new OnnxWebBackend(model, options);
}
