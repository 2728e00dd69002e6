/**
 * Forward-pass profiler of the WebGPU engine: counts the compute dispatches,
 * command-buffer submits and buffer writes of each forward pass and, when the
 * device has `timestamp-query`, times every dispatch on the GPU.
 *
 * The engine takes a profiler at creation (`createWebGpuBackend(model,
 * { profiler })`) and only then calls into it, so an engine without one pays
 * nothing. With timestamps, each dispatch gets its own compute pass whose
 * `timestampWrites` mark its beginning and end; that splits the engine's
 * single compute pass, so profiled times attribute a pass's cost to kernels
 * and are not throughput figures. Without timestamps, dispatches stay in one
 * pass and only the counts are recorded.
 */
import type { Gpu } from "../../runtime/device.ts";
import { type Dispatch, encodeDispatches } from "../../runtime/kernel.ts";

/** Queries per query set: WebGPU allows at most 4096 in one set. */
const QUERIES_PER_SET = 4096;

/** One kernel's share of a forward pass. */
export interface KernelProfile {
  /** Kernel name, with a fused activation, e.g. `matmul+gelu_new`, `layernorm`. */
  name: string;
  /** Dispatches of this kernel per forward pass. */
  count: number;
  /** GPU milliseconds per forward pass (mean over the profiled passes); null without timestamps. */
  ms: number | null;
}

/** What a profiler measured, per forward pass. */
export interface ForwardProfile {
  /** Compute dispatches per forward pass. */
  dispatches: number;
  /** Buffer-to-texel-view copies per forward pass (`Dispatch.before`), untimed. */
  copies: number;
  /** Command-buffer submits per forward pass. */
  submits: number;
  /** `queue.writeBuffer` calls per forward pass (input uploads). */
  writes: number;
  /** Forward passes the figures are the mean of. */
  passes: number;
  /** Whether kernels were timed with GPU timestamp queries. */
  timestamps: boolean;
  /** Wall milliseconds of a profiled pass, from input upload to read-back. */
  wallMs: number;
  /** Sum of the dispatches' GPU milliseconds; null without timestamps. */
  gpuMs: number | null;
  /** Kernels by GPU time (by count without timestamps), largest first. */
  kernels: KernelProfile[];
}

/** One profiled forward pass. */
export interface PassProfile {
  dispatches: number;
  copies: number;
  submits: number;
  writes: number;
  wallMs: number;
  /** Per-dispatch kernel names and GPU nanoseconds (null without timestamps), in issue order. */
  timings: { name: string; ns: number | null }[];
  /** GPU nanoseconds from the first dispatch's start to the last one's end; null without timestamps. */
  spanNs: number | null;
}

interface Pending {
  start: number;
  submits: number;
  writes: number;
  names: string[];
  copies: number;
  staging?: GPUBuffer;
}

/** Records dispatch counts and per-dispatch GPU times of the engine's forward passes. */
export class ForwardProfiler {
  /** Completed passes since the last `reset`. */
  readonly passes: PassProfile[] = [];
  #sets: GPUQuerySet[] = [];
  #resolve?: GPUBuffer;
  #pending?: Pending;
  /** Puts the queue's own `submit` and `writeBuffer` back (set while a pass is counted). */
  #uncount?: () => void;

  constructor(readonly device: GPUDevice, readonly timestamps: boolean) {}

  /**
   * Start a forward pass before its inputs are uploaded; an unfinished one is
   * dropped. Until `end`, the device queue's submits and buffer writes are
   * counted as they happen, so the counts are measured, not declared.
   */
  begin(): void {
    this.#pending?.staging?.destroy();
    this.#uncount?.();
    const pending: Pending = {
      start: performance.now(),
      submits: 0,
      writes: 0,
      names: [],
      copies: 0,
    };
    this.#pending = pending;
    const queue = this.device.queue;
    const { submit, writeBuffer } = queue;
    queue.submit = (buffers) => {
      pending.submits++;
      return submit.call(queue, buffers);
    };
    queue.writeBuffer = (...args: Parameters<GPUQueue["writeBuffer"]>) => {
      pending.writes++;
      return writeBuffer.apply(queue, args);
    };
    this.#uncount = () => {
      queue.submit = submit;
      queue.writeBuffer = writeBuffer;
      this.#uncount = undefined;
    };
  }

  /**
   * Encode `dispatches`: one timed compute pass each with timestamps (a
   * dispatch's `before` copy goes untimed ahead of its pass), else as the engine does.
   */
  encode(encoder: GPUCommandEncoder, dispatches: Dispatch[]): void {
    const pending = this.#current();
    pending.names.push(...dispatches.map((d) => d.name));
    pending.copies += dispatches.filter((d) => d.before).length;
    if (!this.timestamps) {
      encodeDispatches(encoder, dispatches);
      return;
    }
    const offset = 2 * (pending.names.length - dispatches.length);
    const queries = offset + 2 * dispatches.length;
    this.#reserve(queries);
    dispatches.forEach((d, i) => {
      const q = offset + 2 * i;
      encodeDispatches(encoder, [d], {
        querySet: this.#sets[Math.floor(q / QUERIES_PER_SET)],
        begin: q % QUERIES_PER_SET,
        end: (q % QUERIES_PER_SET) + 1,
      });
    });
  }

  /** Add the copy of this pass's timestamps to `encoder`; call once, after the last `encode`. */
  resolve(encoder: GPUCommandEncoder): void {
    const pending = this.#current();
    if (!this.timestamps || pending.names.length === 0) return;
    const queries = 2 * pending.names.length;
    for (let first = 0; first < queries; first += QUERIES_PER_SET) {
      const count = Math.min(QUERIES_PER_SET, queries - first);
      encoder.resolveQuerySet(
        this.#sets[first / QUERIES_PER_SET],
        0,
        count,
        this.#resolve!,
        first * 8,
      );
    }
    pending.staging = this.device.createBuffer({
      label: "profiler.staging",
      size: queries * 8,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.#resolve!, 0, pending.staging, 0, queries * 8);
  }

  /** Finish the current pass after its submit: read its timestamps and record it. */
  async end(): Promise<PassProfile> {
    const pending = this.#current();
    this.#uncount?.();
    let ticks: BigUint64Array | undefined;
    if (pending.staging) {
      await pending.staging.mapAsync(GPUMapMode.READ);
      ticks = new BigUint64Array(pending.staging.getMappedRange().slice(0));
      pending.staging.destroy();
    }
    const wallMs = performance.now() - pending.start;
    this.#pending = undefined;
    const timings = pending.names.map((name, i) => ({
      name,
      ns: ticks ? Number(ticks[2 * i + 1] - ticks[2 * i]) : null,
    }));
    const record: PassProfile = {
      dispatches: pending.names.length,
      copies: pending.copies,
      submits: pending.submits,
      writes: pending.writes,
      wallMs,
      timings,
      spanNs: ticks && ticks.length > 0 ? Number(ticks[ticks.length - 1] - ticks[0]) : null,
    };
    this.passes.push(record);
    return record;
  }

  /**
   * Drop an unfinished pass (its forward pass threw) and put the queue's own
   * `submit` and `writeBuffer` back; after `end`, or with no pass begun, nothing to do.
   */
  abandon(): void {
    this.#pending?.staging?.destroy();
    this.#pending = undefined;
    this.#uncount?.();
  }

  /** Forget the passes recorded so far (e.g. a warm-up pass). */
  reset(): void {
    this.passes.length = 0;
  }

  /** Per-pass means of the recorded passes. */
  summary(): ForwardProfile {
    return summarizePasses(this.passes, this.timestamps);
  }

  /** Free the query sets and buffers. */
  destroy(): void {
    for (const set of this.#sets) set.destroy();
    this.#sets = [];
    this.#resolve?.destroy();
    this.#resolve = undefined;
  }

  #current(): Pending {
    if (!this.#pending) throw new Error("ForwardProfiler: no pass in progress (call begin first)");
    return this.#pending;
  }

  /** Make room for `queries` timestamps: whole query sets and a resolve buffer. */
  #reserve(queries: number): void {
    while (this.#sets.length * QUERIES_PER_SET < queries) {
      this.#sets.push(
        this.device.createQuerySet({ type: "timestamp", count: QUERIES_PER_SET }),
      );
    }
    const bytes = this.#sets.length * QUERIES_PER_SET * 8;
    if (!this.#resolve || this.#resolve.size < bytes) {
      this.#resolve?.destroy();
      this.#resolve = this.device.createBuffer({
        label: "profiler.resolve",
        size: bytes,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    }
  }
}

/** A profiler for `gpu`; it times kernels when `timestamps` is not false and the device can. */
export function createProfiler(gpu: Gpu, options: { timestamps?: boolean } = {}): ForwardProfiler {
  return new ForwardProfiler(gpu.device, (options.timestamps ?? true) && gpu.hasTimestamps);
}

/** Per-pass means of profiled passes, kernels largest first. */
export function summarizePasses(passes: PassProfile[], timestamps: boolean): ForwardProfile {
  const n = Math.max(1, passes.length);
  const mean = (f: (p: PassProfile) => number) => passes.reduce((s, p) => s + f(p), 0) / n;
  const kernels = new Map<string, { count: number; ns: number }>();
  for (const pass of passes) {
    for (const { name, ns } of pass.timings) {
      const k = kernels.get(name) ?? { count: 0, ns: 0 };
      k.count++;
      k.ns += ns ?? 0;
      kernels.set(name, k);
    }
  }
  const timed = timestamps && passes.length > 0;
  const list: KernelProfile[] = [...kernels].map(([name, k]) => ({
    name,
    count: k.count / n,
    ms: timed ? k.ns / n / 1e6 : null,
  }));
  list.sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0) || b.count - a.count || (a.name < b.name ? -1 : 1));
  return {
    dispatches: mean((p) => p.dispatches),
    submits: mean((p) => p.submits),
    writes: mean((p) => p.writes),
    copies: mean((p) => p.copies),
    passes: passes.length,
    timestamps: timed,
    wallMs: mean((p) => p.wallMs),
    gpuMs: timed ? mean((p) => p.timings.reduce((s, t) => s + (t.ns ?? 0), 0)) / 1e6 : null,
    kernels: list,
  };
}
