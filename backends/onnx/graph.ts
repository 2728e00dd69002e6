/**
 * Builds an ONNX model (opset 17, standard ops only) from a `Model`'s weights,
 * following Hugging Face BERT/ALBERT semantics plus the BERT-and-PALs adapters,
 * so ONNX Runtime can serve as an independent reference for the WebGPU kernels.
 *
 * Inputs `input_ids`, `token_type_ids`, `attention_mask`: int64 `[batch, seq]`.
 * Outputs `last_hidden_state [B,T,H]`, `pooler_output [B,H]`, and `logits` when
 * the model has a head (see `EncoderOutput` for its shape per head).
 */
import { taskCount } from "../../models/config.ts";
import type { AppliedLayer, TopProjectionNames } from "../../models/layout.ts";
import type { Model } from "../../models/model.ts";
import { DataType, GraphBuilder, type ValueSpec } from "./_builder.ts";
import { gelu, layerNorm, linear, MASK_VALUE, type OpContext, selfAttention } from "./_ops.ts";

/** Options of `buildOnnxModel`. */
export interface BuildOptions {
  /** Task whose adapters and classifier the graph uses (multi-task models); default 0. */
  task?: number;
}

/** ONNX graph input names, in feed order. */
export const ONNX_INPUTS = ["input_ids", "token_type_ids", "attention_mask"] as const;

/** ONNX graph output names by `EncoderOutput` key. */
export const ONNX_OUTPUTS = {
  lastHiddenState: "last_hidden_state",
  pooledOutput: "pooler_output",
  logits: "logits",
} as const;

/** Serialise the model (for one task) as an ONNX ModelProto. */
export function buildOnnxModel(model: Model, options: BuildOptions = {}): Uint8Array {
  const { config, layout, weights } = model;
  const task = options.task ?? 0;
  const tasks = taskCount(config);
  if (!Number.isInteger(task) || task < 0 || task >= tasks) {
    throw new RangeError(`Task ${task} is out of range: the model has ${tasks} task(s)`);
  }
  const g = new GraphBuilder();
  const [ids, tokenTypes, attentionMask] = ONNX_INPUTS;

  // Additive mask [B, 1, 1, T]: (1 - mask) * MASK_VALUE, shared by every attention.
  const maskF = g.node("Cast", [attentionMask], { to: { int: DataType.FLOAT } });
  const inverted = g.node("Sub", [g.scalar(1), maskF]);
  const mask = g.node("Unsqueeze", [
    g.node("Mul", [inverted, g.scalar(MASK_VALUE)]),
    g.ints([1, 2]),
  ]);
  const ctx: OpContext = { g, weights, eps: config.layerNormEps, mask };

  // Embeddings: word[id] + position[t] + token_type[tt] -> LayerNorm, all of size E.
  const E = config.embeddingSize;
  const table = (name: string, rows: number) => g.float(name, [rows, E], weights.get(name)!);
  const emb = layout.embeddings;
  const word = g.node("Gather", [table(emb.word, config.vocabSize), ids]);
  // Position rows 0..T-1: slice the table up to T = shape(input_ids)[1].
  const seqLen = g.node("Shape", [ids], { start: { int: 1 }, end: { int: 2 } });
  const positionTable = table(emb.position, config.maxPositionEmbeddings);
  const position = g.node("Slice", [positionTable, g.ints([0]), seqLen, g.ints([0])]);
  const tokenType = g.node("Gather", [table(emb.tokenType, config.typeVocabSize), tokenTypes]);
  const sum = g.node("Add", [g.node("Add", [word, position]), tokenType]);
  let h = layerNorm(ctx, sum, emb.norm);
  if (layout.embeddingProjection) h = linear(ctx, h, layout.embeddingProjection);

  for (const layer of layout.layers) h = encoderLayer(ctx, h, layer, model, task);
  if (layout.top) h = topProjection(ctx, h, layout.top[task], model);

  // Pooler: tanh(Linear(h[:, 0])) reads the [CLS] row.
  const cls = g.node("Gather", [h, g.int64("const_i64_scalar_0", [], [0])], { axis: { int: 1 } });
  const pooled = g.node("Tanh", [linear(ctx, cls, layout.pooler)]);

  const H = config.hiddenSize;
  const outputs: ValueSpec[] = [
    { name: ONNX_OUTPUTS.lastHiddenState, elemType: DataType.FLOAT, dims: ["batch", "seq", H] },
    { name: ONNX_OUTPUTS.pooledOutput, elemType: DataType.FLOAT, dims: ["batch", H] },
  ];
  g.named("Identity", [h], ONNX_OUTPUTS.lastHiddenState);
  g.named("Identity", [pooled], ONNX_OUTPUTS.pooledOutput);

  const head = config.head;
  let logits: string | undefined;
  let logitsDims: (number | string)[] = [];
  if (head.kind === "question-answering") {
    logits = linear(ctx, h, layout.qaOutputs!);
    logitsDims = ["batch", "seq", 2];
  } else if (head.kind === "multiple-choice") {
    // One score per row: [B, 1] -> [B].
    logits = g.node("Squeeze", [linear(ctx, pooled, layout.classifiers[0]), g.ints([1])]);
    logitsDims = ["batch"];
  } else if (head.kind !== "none") {
    const classifier = layout.classifiers[head.kind === "multi-task" ? task : 0];
    logits = linear(ctx, pooled, classifier);
    logitsDims = ["batch", classifier.outFeatures];
  }
  if (logits) {
    g.named("Identity", [logits], ONNX_OUTPUTS.logits);
    outputs.push({ name: ONNX_OUTPUTS.logits, elemType: DataType.FLOAT, dims: logitsDims });
  }
  const inputs: ValueSpec[] = ONNX_INPUTS.map((name) => ({
    name,
    elemType: DataType.INT64,
    dims: ["batch", "seq"],
  }));
  return g.build(`${config.modelType}-task${task}`, inputs, outputs);
}

/**
 * One post-LayerNorm transformer layer:
 * `a = LN(h + dense(MHA(h)))`, `out = LN(output(act(intermediate(a))) + a [+ adapter(h)])`.
 */
function encoderLayer(
  ctx: OpContext,
  h: string,
  layer: AppliedLayer,
  model: Model,
  task: number,
): string {
  const { g } = ctx;
  const { config } = model;
  const n = layer.names;
  const attention = selfAttention(ctx, h, n, config.numAttentionHeads);
  const a = layerNorm(
    ctx,
    g.node("Add", [h, linear(ctx, attention, n.attentionOutput)]),
    n.attentionNorm,
  );
  const ffn = linear(ctx, gelu(ctx, linear(ctx, a, n.intermediate), config.hiddenAct), n.output);
  let sum = g.node("Add", [ffn, a]);
  const adapter = layer.adapters?.[task];
  if (adapter) {
    // Adapters read the layer's input h and always use the exact GELU (original PALs code).
    let delta: string;
    if (adapter.kind === "pals") {
      const heads = config.adapter!.numAttentionHeadsAug;
      const small = selfAttention(ctx, linear(ctx, h, adapter.encoder), adapter, heads);
      delta = gelu(ctx, linear(ctx, small, adapter.decoder), "gelu");
    } else {
      delta = linear(ctx, gelu(ctx, linear(ctx, h, adapter.encoder), "gelu"), adapter.decoder);
    }
    sum = g.node("Add", [sum, delta]);
  }
  return layerNorm(ctx, sum, n.outputNorm);
}

/**
 * Top-projected adapter: `x = down(h)`, then per top layer
 * `x = LN(x + dense(MHA_ds(x)))`, and `up(x)` replaces the last hidden state.
 */
function topProjection(ctx: OpContext, h: string, top: TopProjectionNames, model: Model): string {
  const heads = model.config.adapter!.numAttentionHeadsAug;
  let x = linear(ctx, h, top.down);
  for (const layer of top.layers) {
    const attention = linear(ctx, selfAttention(ctx, x, layer, heads), layer.attentionOutput);
    x = layerNorm(ctx, ctx.g.node("Add", [x, attention]), layer.attentionNorm);
  }
  return linear(ctx, x, top.up);
}
