/**
 * The training engine: a model's parameters on the GPU, one recorded step plan
 * per (batch, sequence length, task) shape, and the optimiser. One step is one
 * command buffer: zero the parameter gradients, forward, loss, backward,
 * global-norm clipping, and the AdamW or LAMB update of every tensor. The
 * host writes only the batch, the learning rate and the dropout seed; the
 * step's statistics are read back only when the caller asks (for the log).
 *
 * `dtype: "f16"` is mixed-precision training: activations and their gradients
 * in f16, f16 copies of the Linear weights for the GEMMs, f32 master weights,
 * gradients and optimiser state, and dynamic loss scaling on the GPU
 * (`kernels/loss_scale.ts`); a step whose scaled gradients overflowed is
 * skipped and the scale halved.
 */
import {
  ADAMW_STEP_SIZE,
  ADAMW_STEP_SLOTS,
  adamWStepValues,
  dispatchAdamW,
} from "../kernels/adamw.ts";
import { dispatchZero } from "../kernels/elementwise.ts";
import { embeddingGroups } from "../kernels/embeddings_train.ts";
import { dispatchClipByGlobalNorm } from "../kernels/grad_norm.ts";
import { dispatchLamb } from "../kernels/lamb.ts";
import {
  DEFAULT_LOSS_SCALE,
  dispatchLossScaleUpdate,
  LOSS_SCALE_SIZE,
  LOSS_SCALE_SLOTS,
  lossScaleInitialValues,
} from "../kernels/loss_scale.ts";
import { ActivationPool } from "../backends/webgpu/plan.ts";
import type { Model } from "../models/model.ts";
import { assertDtypeSupported, type Gpu } from "../runtime/device.ts";
import {
  type Dispatch,
  type Dtype,
  KernelRuntime,
  readFloatRegions,
  readFloats,
  submitDispatches,
} from "../runtime/kernel.ts";
import { TrainableParams } from "./params.ts";
import { buildStepPlan, labelCount, type StepPlan, type StepShape } from "./step_plan.ts";

/** One padded training batch. */
export interface TrainBatch extends StepShape {
  /** `input_ids`, `batch × seqLen` row-major, padded with the pad id. */
  inputIds: ArrayLike<number>;
  /** `token_type_ids` (segment ids), `batch × seqLen` row-major. */
  tokenTypeIds: ArrayLike<number>;
  /** 1 for a real token, 0 for padding, `batch × seqLen` row-major. */
  attentionMask: ArrayLike<number>;
  /** Class index or regression value per row; [starts..., ends...] for spans; answer per question. */
  labels: ArrayLike<number>;
}

/** Optimiser settings (BERT/ALBERT fine-tuning defaults). */
export interface OptimizerOptions {
  /** AdamW (BERT's fine-tuning optimiser) or LAMB (layer-wise trust ratio; ALBERT pre-training). */
  optimizer: "adamw" | "lamb";
  /** Decoupled weight decay λ, not on biases and LayerNorm (default 0.01). */
  weightDecay: number;
  /** Adam β₁, decay of the first moment (default 0.9). */
  beta1: number;
  /** Adam β₂, decay of the second moment (default 0.999). */
  beta2: number;
  /** Adam ε, added to √v̂ in the update's denominator (default 1e-6, BERT's). */
  eps: number;
  /** Global gradient-norm clip (1.0 in BERT's and ALBERT's code); 0 turns it off. */
  maxGradNorm: number;
  /** Separate peak learning rate for PAL/adapter parameters, as a multiple of the main rate. */
  adapterLrScale: number;
}

/** Precision settings: f16 trains in mixed precision with dynamic loss scaling. */
export interface PrecisionOptions {
  /** Activation storage: `f32`, or `f16` for mixed precision with f32 master weights. */
  dtype: Dtype;
  /** f16 only: the first loss scale and the clean steps before it doubles (PyTorch's defaults). */
  lossScale: { initScale: number; growthInterval: number };
}

/** Loss-scale state after the last step (f16 training). */
export interface LossScaleState {
  /** The factor the loss is multiplied by before backward (1 in f32 training). */
  scale: number;
  /** Steps skipped because the scaled gradients overflowed. */
  skippedSteps: number;
  /** Of those, overflows at scale 1: the f16 model itself overflowed, which scaling cannot fix. */
  overflowsAtMinimum: number;
  /** The raw state buffer, saved with a resume point. */
  values: number[];
}

/** What the log records of a step (`Trainer.stepStats`). */
export interface StepStats {
  /** Mean loss of the batch. */
  loss: number;
  /** Global gradient norm before clipping; infinite when f16's scaled gradients overflowed. */
  gradNorm: number;
  /** The loss-scale state after the step. */
  lossScale: LossScaleState;
}

function lossScaleState(values: Float32Array): LossScaleState {
  return {
    scale: values[LOSS_SCALE_SLOTS.scale],
    skippedSteps: values[LOSS_SCALE_SLOTS.skipped],
    overflowsAtMinimum: values[LOSS_SCALE_SLOTS.overflowsAtMinimum],
    values: [...values],
  };
}

/** Defaults: AdamW, decay 0.01, β (0.9, 0.999), ε 1e-6, clip 1.0. */
export const DEFAULT_OPTIMIZER: OptimizerOptions = {
  optimizer: "adamw",
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-6,
  maxGradNorm: 1,
  adapterLrScale: 1,
};

/** Tensors of the multi-task adapters (names of the original BERT-and-PALs code). */
export function isAdapterTensor(name: string): boolean {
  return /\.(mult_aug_dense2?|multi_layers|mult_dense2?)\./.test(name);
}

/** Trains one model on one device. */
export class Trainer {
  /**
   * Every trainable tensor on the GPU with its gradient and Adam moments (`m`, `v`).
   * @internal
   */
  readonly params: TrainableParams;
  /**
   * Compiles the kernels and records the dispatches of the step plans.
   * @internal
   */
  readonly runtime: KernelRuntime;
  #pool: ActivationPool;
  #plans = new Map<string, StepPlan>();
  #rng: GPUBuffer;
  #hyper: GPUBuffer;
  #adapterHyper: GPUBuffer;
  #partials: GPUBuffer;
  #scaler: GPUBuffer;
  #scratch: GPUBuffer[] = [];
  #zero: Dispatch[] = [];
  #update: Dispatch[] = [];
  #lastPlan?: StepPlan;

  private constructor(
    readonly gpu: Gpu,
    model: Model,
    readonly options: OptimizerOptions & PrecisionOptions & { dropout: boolean },
  ) {
    const device = gpu.device;
    this.runtime = new KernelRuntime(device);
    this.params = new TrainableParams(this.runtime, model, options.dtype);
    this.#pool = new ActivationPool(device);
    const storage = (label: string, bytes: number) =>
      device.createBuffer({
        label,
        size: Math.max(16, bytes),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
    this.#rng = storage("rng", 16);
    this.#hyper = storage("hyper", ADAMW_STEP_SIZE * 4);
    this.#adapterHyper = storage("hyper.adapter", ADAMW_STEP_SIZE * 4);
    this.#partials = storage("grad-norm.partials", (this.params.tensors.length + 1) * 4);
    this.#scaler = storage("loss-scale", LOSS_SCALE_SIZE * 4);
    this.writeLossScale(
      lossScaleInitialValues(this.#mixed ? { initScale: options.lossScale.initScale } : undefined),
    );
  }

  get #mixed(): boolean {
    return this.options.dtype === "f16";
  }

  /** Upload a model and record its optimiser step; f16 needs the adapter's `shader-f16`. */
  static async create(
    gpu: Gpu,
    model: Model,
    options: Partial<OptimizerOptions & PrecisionOptions> & { dropout?: boolean } = {},
  ): Promise<Trainer> {
    const dtype = options.dtype ?? "f32";
    assertDtypeSupported(gpu, dtype);
    const trainer = new Trainer(gpu, model, {
      ...DEFAULT_OPTIMIZER,
      ...options,
      lossScale: options.lossScale ?? DEFAULT_LOSS_SCALE,
      dtype,
      dropout: options.dropout ?? true,
    });
    await trainer.params.refreshHalves();
    await trainer.#recordUpdate();
    return trainer;
  }

  async #recordUpdate() {
    const { runtime, params, options } = this;
    for (const t of params.tensors) {
      this.#zero.push(await dispatchZero(runtime, { out: t.grad, count: t.size }));
    }
    const grads = params.tensors.map((t) => ({ buffer: t.grad, size: t.size }));
    const maxNorm = options.maxGradNorm > 0 ? options.maxGradNorm : 3.0e38;
    this.#update.push(
      ...await dispatchClipByGlobalNorm(runtime, {
        grads,
        partials: this.#partials,
        hypers: [this.#hyper, this.#adapterHyper],
        scaler: this.#scaler,
        scaleSlot: ADAMW_STEP_SLOTS.clipScale,
        maxNorm,
      }),
    );
    for (const t of params.tensors) {
      const hyper = isAdapterTensor(t.name) ? this.#adapterHyper : this.#hyper;
      const common = {
        param: t.param,
        grad: t.grad,
        m: t.m,
        v: t.v,
        hyper,
        size: t.size,
        half: t.half,
      };
      if (options.optimizer === "lamb") {
        const update = this.gpu.device.createBuffer({
          size: Math.max(16, t.size * 4),
          usage: GPUBufferUsage.STORAGE,
        });
        this.#scratch.push(update);
        this.#update.push(...await dispatchLamb(runtime, { ...common, update, decay: t.decay }));
      } else {
        this.#update.push(await dispatchAdamW(runtime, { ...common, decay: t.decay }));
      }
    }
    if (this.#mixed) {
      this.#update.push(
        await dispatchLossScaleUpdate(runtime, {
          partials: this.#partials,
          scaler: this.#scaler,
          count: grads.length,
          growthInterval: options.lossScale.growthInterval,
        }),
      );
    }
  }

  async #plan(shape: StepShape): Promise<StepPlan> {
    const key = `${shape.batch}x${shape.seqLen}/${shape.task}/${shape.choices ?? 1}`;
    let plan = this.#plans.get(key);
    if (plan && plan.generation !== this.#pool.generation) {
      for (const d of [...plan.forward, ...plan.backward]) d.uniformBuffer?.destroy();
      plan = undefined;
    }
    if (!plan) {
      plan = await buildStepPlan(this.runtime, this.params, this.#pool, this.#rng, shape, {
        dropout: this.options.dropout,
        dtype: this.options.dtype,
        scaler: this.#scaler,
      });
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /** Record the plan of a shape ahead of time (the largest first, so buffers never regrow). */
  async prepare(shape: StepShape): Promise<void> {
    await this.#plan(shape);
  }

  #writeBatch(plan: StepPlan, batch: TrainBatch, seed: number) {
    const q = this.gpu.device.queue;
    const rows = batch.batch * batch.seqLen;
    const { inputs } = plan;
    if (batch.inputIds.length !== rows || batch.labels.length !== labelCount(plan.loss, batch)) {
      throw new Error(
        `Training batch of ${batch.batch}×${batch.seqLen} has ${batch.inputIds.length} ids and ${batch.labels.length} labels`,
      );
    }
    q.writeBuffer(inputs.ids, 0, Uint32Array.from(batch.inputIds));
    q.writeBuffer(inputs.types, 0, Uint32Array.from(batch.tokenTypeIds));
    q.writeBuffer(inputs.mask, 0, Uint32Array.from(batch.attentionMask));
    q.writeBuffer(inputs.groups.word, 0, embeddingGroups(batch.inputIds, rows));
    q.writeBuffer(inputs.groups.position, 0, plan.positionGroups);
    q.writeBuffer(inputs.groups.tokenType, 0, embeddingGroups(batch.tokenTypeIds, rows));
    q.writeBuffer(inputs.labels, 0, Float32Array.from(batch.labels));
    q.writeBuffer(this.#rng, 0, Uint32Array.of(seed >>> 0));
  }

  /** Forward and backward only, leaving the gradients in `params` (tests, gradient checks). */
  async computeGradients(batch: TrainBatch, seed = 0): Promise<void> {
    const plan = await this.#plan(batch);
    this.#writeBatch(plan, batch, seed);
    submitDispatches(this.gpu.device, this.#zero, plan.forward, plan.backward);
    this.#lastPlan = plan;
    await this.gpu.device.queue.onSubmittedWorkDone();
  }

  /**
   * One optimiser step on a batch at learning rate `lr`; `step` is 1-based
   * (bias correction) and `seed` draws the dropout masks of this step.
   */
  async step(batch: TrainBatch, options: { lr: number; step: number; seed: number }) {
    const plan = await this.#plan(batch);
    this.#writeBatch(plan, batch, options.seed);
    const q = this.gpu.device.queue;
    const values = (lr: number) =>
      adamWStepValues({
        lr,
        step: options.step,
        beta1: this.options.beta1,
        beta2: this.options.beta2,
        eps: this.options.eps,
        weightDecay: this.options.weightDecay,
      });
    q.writeBuffer(this.#hyper, 0, values(options.lr));
    q.writeBuffer(this.#adapterHyper, 0, values(options.lr * this.options.adapterLrScale));
    submitDispatches(this.gpu.device, this.#zero, plan.forward, plan.backward, this.#update);
    this.#lastPlan = plan;
  }

  /**
   * The last step's mean loss, global gradient norm (before clipping, without
   * the loss scale) and the loss-scale state, in one read-back; waits for the GPU.
   */
  async stepStats(): Promise<StepStats> {
    const plan = this.#lastPlan;
    if (!plan) throw new Error("No step has run yet");
    const [losses, norm, scaler] = await readFloatRegions(this.gpu.device, [
      { buffer: plan.losses.buffer, count: plan.losses.count },
      { buffer: this.#partials, count: 1, offset: this.params.tensors.length },
      { buffer: this.#scaler, count: LOSS_SCALE_SIZE },
    ]);
    return {
      loss: losses.reduce((a, b) => a + b, 0),
      gradNorm: norm[0],
      lossScale: lossScaleState(scaler),
    };
  }

  /** The loss scale now and the steps skipped so far (scale 1 and none in f32 training). */
  async lossScale(): Promise<LossScaleState> {
    return lossScaleState(await readFloats(this.gpu.device, this.#scaler, LOSS_SCALE_SIZE));
  }

  /** Restore the loss-scale state (a resume point's `values`). */
  writeLossScale(values: ArrayLike<number>): void {
    if (values.length !== LOSS_SCALE_SIZE) {
      throw new Error(`Loss-scale state has ${values.length} values, expected ${LOSS_SCALE_SIZE}`);
    }
    this.gpu.device.queue.writeBuffer(this.#scaler, 0, Float32Array.from(values));
  }

  /** Free the GPU buffers (the device stays with its owner). */
  destroy(): void {
    for (const plan of this.#plans.values()) {
      for (const d of [...plan.forward, ...plan.backward]) d.uniformBuffer?.destroy();
    }
    for (const d of [...this.#zero, ...this.#update]) d.uniformBuffer?.destroy();
    for (const b of this.#scratch) b.destroy();
    for (const b of [this.#rng, this.#hyper, this.#adapterHyper, this.#partials, this.#scaler]) {
      b.destroy();
    }
    this.#pool.destroy();
    this.params.destroy();
  }
}
