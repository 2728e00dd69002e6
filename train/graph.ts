/**
 * A recorded training step: each op records its forward dispatches and pushes
 * a closure that records its backward; `recordBackward` replays the closures
 * in reverse, so an activation's gradient is complete (every consumer has
 * added into it) before its producer reads it. Recorded once per shape and
 * replayed every step with new inputs, like the inference plans.
 *
 * Gradients of activations: the first contribution writes, later ones add
 * (tracked per buffer while recording), so nothing is cleared. Gradients of
 * parameters always add; the trainer zeroes them at the start of a step, and
 * a tensor shared by several layers collects every layer's share.
 *
 * Precision (`dtype`): activations and their gradients are stored in f32 or
 * f16 (mixed-precision training, where Linear layers also read their weight's
 * f16 copy); parameters, their gradients, LayerNorm's saved statistics and the
 * attention probabilities stay f32, and every kernel computes in f32.
 */
import { type Activation, dispatchActivation } from "../kernels/activation.ts";
import { dispatchActivationGrad } from "../kernels/activation_grad.ts";
import {
  attentionProbsSize,
  dispatchAttentionBackward,
  dispatchAttentionForward,
} from "../kernels/attention_train.ts";
import { dispatchColumnSum } from "../kernels/column_sum.ts";
import { dispatchDropout } from "../kernels/dropout.ts";
import { dispatchZero } from "../kernels/elementwise.ts";
import { dispatchEmbeddingsScatter, dispatchEmbeddingsSum } from "../kernels/embeddings_train.ts";
import { dispatchGemm } from "../kernels/gemm.ts";
import { dispatchLayerNormBackward, dispatchLayerNormTrain } from "../kernels/layernorm_train.ts";
import type { LinearNames, NormNames } from "../models/layout.ts";
import type { ActivationPool } from "../backends/webgpu/plan.ts";
import { type Dispatch, type Dtype, dtypeBytes, type KernelRuntime } from "../runtime/kernel.ts";
import type { TrainableParams } from "./params.ts";

/** A matrix inside a buffer: `rows × cols` from `offset`, `ld` elements between rows. */
export interface View {
  buffer: GPUBuffer;
  offset: number;
  ld: number;
  rows: number;
  cols: number;
}

/** An activation and the matching view of its gradient. */
export interface Act {
  value: View;
  grad: View;
}

/** Columns `start .. start + count` of an activation. */
export function columns(x: Act, start: number, count: number): Act {
  const slice = (v: View): View => ({ ...v, offset: v.offset + start, cols: count });
  return { value: slice(x.value), grad: slice(x.grad) };
}

/** Every `stride`-th row of an activation (the CLS row of each sequence). */
export function everyRow(x: Act, stride: number): Act {
  const rows = (v: View): View => ({ ...v, ld: v.ld * stride, rows: Math.ceil(v.rows / stride) });
  return { value: rows(x.value), grad: rows(x.grad) };
}

const isWhole = (v: View) => v.offset === 0 && v.ld === v.cols;
const floats = (v: View) => v.rows * v.cols;

/** Builds one training step's forward and backward dispatch lists. */
export class TrainGraph {
  readonly forward: Dispatch[] = [];
  readonly backward: Dispatch[] = [];
  #pending: (() => Promise<void>)[] = [];
  #written = new Set<GPUBuffer>();
  #roles = new Map<string, number>();
  #site = 0;

  constructor(
    readonly runtime: KernelRuntime,
    readonly pool: ActivationPool,
    readonly params: TrainableParams,
    /** One-word buffer holding the step's dropout seed. */
    readonly rng: GPUBuffer,
    /** Dropout off (gradient checks) or on (training). */
    readonly dropout: boolean,
    /** Storage of activations and their gradients. */
    readonly dtype: Dtype = "f32",
  ) {}

  /** A new activation of `rows × cols` with its gradient buffer, named after its role. */
  act(role: string, rows: number, cols: number): Act {
    const name = this.#name(role);
    const view = (buffer: GPUBuffer): View => ({ buffer, offset: 0, ld: cols, rows, cols });
    const bytes = dtypeBytes(this.dtype);
    return {
      value: view(this.pool.get(name, rows * cols, bytes)),
      grad: view(this.pool.get(`d:${name}`, rows * cols, bytes)),
    };
  }

  /** An f32 scratch buffer (not differentiated). */
  scratch(role: string, count: number): GPUBuffer {
    return this.pool.get(this.#name(role), count);
  }

  /** `role#n` for the n-th use of a role: the same names in every shape's plan, so plans share buffers. */
  #name(role: string): string {
    const n = this.#roles.get(role) ?? 0;
    this.#roles.set(role, n + 1);
    return `${role}#${n}`;
  }

  async #push(list: Dispatch[], d: Dispatch | Dispatch[] | Promise<Dispatch | Dispatch[]>) {
    const result = await d;
    if (Array.isArray(result)) list.push(...result);
    else list.push(result);
  }

  #fwd(d: Dispatch | Dispatch[] | Promise<Dispatch | Dispatch[]>) {
    return this.#push(this.forward, d);
  }

  #bwd(d: Dispatch | Dispatch[] | Promise<Dispatch | Dispatch[]>) {
    return this.#push(this.backward, d);
  }

  /** Whether a gradient has received any contribution. */
  hasGrad(v: View): boolean {
    return this.#written.has(v.buffer);
  }

  /**
   * Claim a gradient view for a contribution: whether to add (it already holds
   * one). A partial view of an untouched buffer gets the buffer zeroed first.
   */
  async sink(v: View): Promise<boolean> {
    if (this.#written.has(v.buffer)) return true;
    this.#written.add(v.buffer);
    if (isWhole(v)) return false;
    await this.#bwd(
      dispatchZero(this.runtime, { out: v.buffer, count: v.rows * v.ld, dtype: this.dtype }),
    );
    return true;
  }

  /** Mark a gradient as written by a loss (recorded in the forward list). */
  seed(v: View): void {
    this.#written.add(v.buffer);
  }

  /** Record the backward dispatches (call once, after the loss). */
  async recordBackward(): Promise<Dispatch[]> {
    for (const record of this.#pending.reverse()) await record();
    this.#pending = [];
    return this.backward;
  }

  /** `y = x·Wᵀ + b` into a new activation, or into `out` (a column slice). */
  async linear(x: Act, names: LinearNames, out?: Act): Promise<Act> {
    const w = this.params.get(names.weight), b = this.params.get(names.bias);
    const N = names.outFeatures, K = names.inFeatures, M = x.value.rows;
    const y = out ?? this.act("linear", M, N);
    const act = this.dtype;
    // Mixed precision reads the weight's f16 copy; its gradient goes to the f32 master's.
    const weight = w.half ?? w.param, weightDtype = w.half ? "f16" : "f32";
    await this.#fwd(dispatchGemm(this.runtime, {
      a: { buffer: x.value.buffer, offset: x.value.offset, ld: x.value.ld },
      b: { buffer: weight, ld: K, transpose: true },
      c: { buffer: y.value.buffer, offset: y.value.offset, ld: y.value.ld },
      m: M,
      n: N,
      k: K,
      bias: b.param,
      dtypes: { a: act, b: weightDtype, c: act },
    }));
    this.#pending.push(async () => {
      const dy = y.grad;
      if (!this.hasGrad(dy)) return;
      const accumulate = await this.sink(x.grad);
      await this.#bwd(dispatchGemm(this.runtime, {
        a: { buffer: dy.buffer, offset: dy.offset, ld: dy.ld },
        b: { buffer: weight, ld: K },
        c: { buffer: x.grad.buffer, offset: x.grad.offset, ld: x.grad.ld },
        m: M,
        n: K,
        k: N,
        accumulate,
        dtypes: { a: act, b: weightDtype, c: act },
      }));
      await this.#bwd(dispatchGemm(this.runtime, {
        a: { buffer: dy.buffer, offset: dy.offset, ld: dy.ld, transpose: true },
        b: { buffer: x.value.buffer, offset: x.value.offset, ld: x.value.ld },
        c: { buffer: w.grad },
        m: N,
        n: K,
        k: M,
        accumulate: true,
        dtypes: { a: act, b: act, c: "f32" },
      }));
      await this.#bwd(dispatchColumnSum(this.runtime, {
        x: dy.buffer,
        out: b.grad,
        rows: M,
        cols: N,
        ld: dy.ld,
        offset: dy.offset,
        accumulate: true,
        dtype: act,
      }));
    });
    return y;
  }

  /** Element-wise activation (the pre-activation is kept for the backward). */
  async activation(z: Act, activation: Exclude<Activation, "none">): Promise<Act> {
    const y = this.act(activation, z.value.rows, z.value.cols);
    const count = floats(z.value);
    await this.#fwd(
      dispatchActivation(this.runtime, {
        activation,
        x: z.value.buffer,
        out: y.value.buffer,
        count,
        dtype: this.dtype,
      }),
    );
    this.#pending.push(async () => {
      if (!this.hasGrad(y.grad)) return;
      const accumulate = await this.sink(z.grad);
      await this.#bwd(dispatchActivationGrad(this.runtime, {
        activation,
        dy: y.grad.buffer,
        pre: z.value.buffer,
        dz: z.grad.buffer,
        count,
        accumulate,
        dtype: this.dtype,
      }));
    });
    return y;
  }

  /** Dropout with probability `p` (identity when dropout is off or `p` is 0). */
  async dropoutOp(x: Act, p: number): Promise<Act> {
    if (!this.dropout || p === 0) return x;
    const site = this.#site++;
    const y = this.act("dropout", x.value.rows, x.value.cols);
    const count = floats(x.value);
    const common = { rng: this.rng, count, site, p, dtype: this.dtype };
    await this.#fwd(
      dispatchDropout(this.runtime, { ...common, x: x.value.buffer, out: y.value.buffer }),
    );
    this.#pending.push(async () => {
      if (!this.hasGrad(y.grad)) return;
      const accumulate = await this.sink(x.grad);
      await this.#bwd(dispatchDropout(this.runtime, {
        ...common,
        x: y.grad.buffer,
        out: x.grad.buffer,
        accumulate,
      }));
    });
    return y;
  }

  /** `LN(inputs summed)`; every input receives the same gradient. */
  async layerNorm(inputs: Act[], names: NormNames, eps: number): Promise<Act> {
    const gamma = this.params.get(names.weight), beta = this.params.get(names.bias);
    const rows = inputs[0].value.rows, size = names.size;
    const y = this.act("layernorm", rows, size);
    const xhat = this.scratch("xhat", rows * size);
    const rstd = this.scratch("rstd", rows);
    await this.#fwd(dispatchLayerNormTrain(this.runtime, {
      x: inputs[0].value.buffer,
      residuals: inputs.slice(1).map((r) => r.value.buffer),
      gamma: gamma.param,
      beta: beta.param,
      out: y.value.buffer,
      xhat,
      rstd,
      rows,
      size,
      eps,
      dtype: this.dtype,
    }));
    this.#pending.push(async () => {
      if (!this.hasGrad(y.grad)) return;
      const dy = y.grad.buffer;
      for (const input of inputs) {
        const accumulate = await this.sink(input.grad);
        await this.#bwd(dispatchLayerNormBackward(this.runtime, {
          dy,
          xhat,
          rstd,
          gamma: gamma.param,
          ds: input.grad.buffer,
          rows,
          size,
          accumulate,
          dtype: this.dtype,
        }));
      }
      const sums = { rows, cols: size, accumulate: true, dtype: this.dtype };
      await this.#bwd(
        dispatchColumnSum(this.runtime, { ...sums, x: dy, y: xhat, out: gamma.grad }),
      );
      await this.#bwd(dispatchColumnSum(this.runtime, { ...sums, x: dy, out: beta.grad }));
    });
    return y;
  }

  /** Masked multi-head attention over a `[B·T, 3W]` QKV activation; returns the context. */
  async attention(
    qkv: Act,
    shape: { batch: number; seqLen: number; heads: number; mask: GPUBuffer; dropout: number },
  ): Promise<Act> {
    const width = qkv.value.cols / 3;
    const { batch, seqLen, heads } = shape;
    const ctx = this.act("context", batch * seqLen, width);
    const probs = this.scratch("probs", attentionProbsSize(shape));
    const common = {
      batch,
      seqLen,
      heads,
      headSize: width / heads,
      dropout: this.dropout ? shape.dropout : 0,
      site: this.#site++,
      rng: this.rng,
      dtype: this.dtype,
    };
    await this.#fwd(dispatchAttentionForward(this.runtime, {
      ...common,
      qkv: qkv.value.buffer,
      mask: shape.mask,
      probs,
      out: ctx.value.buffer,
    }));
    this.#pending.push(async () => {
      if (!this.hasGrad(ctx.grad)) return;
      if (await this.sink(qkv.grad)) {
        throw new Error("internal: the QKV gradient must be written by attention alone");
      }
      const dscores = this.scratch("dscores", attentionProbsSize(shape));
      await this.#bwd(dispatchAttentionBackward(this.runtime, {
        ...common,
        qkv: qkv.value.buffer,
        probs,
        dout: ctx.grad.buffer,
        dscores,
        dqkv: qkv.grad.buffer,
      }));
    });
    return ctx;
  }

  /**
   * Embedding gather-sum (before LayerNorm) of `rows` tokens; `groups` are the
   * packed row groupings (`embeddingGroups`) of the ids, positions and types.
   */
  async embeddingSum(args: {
    ids: GPUBuffer;
    types: GPUBuffer;
    groups: { word: GPUBuffer; position: GPUBuffer; tokenType: GPUBuffer };
    names: { word: string; position: string; tokenType: string };
    rows: number;
    seqLen: number;
    size: number;
  }): Promise<Act> {
    const { rows, seqLen, size, names } = args;
    const word = this.params.get(names.word);
    const position = this.params.get(names.position);
    const tokenType = this.params.get(names.tokenType);
    const out = this.act("embeddings", rows, size);
    await this.#fwd(dispatchEmbeddingsSum(this.runtime, {
      ids: args.ids,
      types: args.types,
      word: word.param,
      position: position.param,
      tokenType: tokenType.param,
      out: out.value.buffer,
      rows,
      seqLen,
      size,
      dtype: this.dtype,
    }));
    this.#pending.push(async () => {
      if (!this.hasGrad(out.grad)) return;
      for (
        const [table, groups] of [[word, args.groups.word], [position, args.groups.position], [
          tokenType,
          args.groups.tokenType,
        ]] as const
      ) {
        await this.#bwd(dispatchEmbeddingsScatter(this.runtime, {
          groups,
          d: out.grad.buffer,
          table: table.grad,
          capacity: rows,
          size,
          dtype: this.dtype,
        }));
      }
    });
    return out;
  }

  /** Record a loss's dispatch, which writes the gradient of its logits. */
  async loss(logits: Act, dispatch: Promise<Dispatch>): Promise<void> {
    await this.#fwd(dispatch);
    this.seed(logits.grad);
  }
}
