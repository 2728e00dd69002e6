/**
 * Weight layout: which tensors a config has, their Hugging Face names and
 * shapes, and which tensors each applied layer uses. This is the single place
 * that knows the naming scheme; parameter counting, checkpoint validation,
 * initialisation and both backends read it from here.
 *
 * Linear weights are PyTorch `[out, in]`: `y = x·Wᵀ + b`.
 *
 * PAL adapter names are modelled on the original BERT-and-PALs `modeling.py`
 * (`mult_aug_dense`, `multi_layers`, `mult_dense`) with Hugging Face's
 * `weight`/`bias` for LayerNorm parameters:
 *
 * | adapter | tensor | shape |
 * |---|---|---|
 * | pals | `bert.encoder.mult_aug_dense.{t}` (encoder V_E, shared by all layers) | `[d_s, H]` |
 * | pals | `bert.encoder.mult_aug_dense2.{t}` (decoder V_D, shared by all layers) | `[H, d_s]` |
 * | pals | `bert.encoder.layer.{l}.multi_layers.{t}.attn.{query,key,value}` | `[d_s, d_s]` |
 * | low-rank | `bert.encoder.layer.{l}.multi_layers.{t}.{aug_dense,aug_dense2}` | `[d_s, H]`, `[H, d_s]` |
 * | top-projected | `bert.encoder.mult_dense.{t}`, `bert.encoder.mult_dense2.{t}` | `[d_s, H]`, `[H, d_s]` |
 * | top-projected | `bert.encoder.multi_layers.{t}.{k}.self.{query,key,value}`, `.output.dense`, `.output.LayerNorm` | `[d_s, d_s]`, `[d_s]` |
 * | all | `classifier.{t}` (one classifier per task) | `[labels_t, H]` |
 *
 * ALBERT's partial-sharing ablations store the shared part under group 0 and
 * the unshared part of layer `i` under `albert.encoder.albert_layer_groups.{i}`.
 */
import type { ModelConfig } from "./config.ts";

/** What a tensor is, which decides its initialisation. */
export type TensorRole = "linear-weight" | "bias" | "embedding" | "norm-weight" | "norm-bias";

/** One named tensor of a model. */
export interface TensorSpec {
  /** Hugging Face state-dict name, e.g. `albert.embeddings.word_embeddings.weight`. */
  name: string;
  /** Dimensions, row-major; Linear weights are `[out, in]`. */
  shape: number[];
  /** Kind of tensor, which picks its initialisation. */
  role: TensorRole;
}

/** A Linear layer's tensor names and sizes. */
export interface LinearNames {
  /** Name of the `[outFeatures, inFeatures]` weight. */
  weight: string;
  /** Name of the `[outFeatures]` bias. */
  bias: string;
  /** Input width. */
  inFeatures: number;
  /** Output width. */
  outFeatures: number;
}

/** A LayerNorm's tensor names. */
export interface NormNames {
  /** Name of the scale gamma, `[size]`. */
  weight: string;
  /** Name of the shift beta, `[size]`. */
  bias: string;
  /** Width of the normalised dimension. */
  size: number;
}

/** A transformer layer's tensors (post-LayerNorm block). */
export interface LayerNames {
  /** Attention query projection, H -> H. */
  query: LinearNames;
  /** Attention key projection, H -> H. */
  key: LinearNames;
  /** Attention value projection, H -> H. */
  value: LinearNames;
  /** Attention output projection, H -> H (ALBERT `attention.dense`). */
  attentionOutput: LinearNames;
  /** LayerNorm after the attention residual. */
  attentionNorm: NormNames;
  /** FFN up-projection, H -> I (ALBERT `ffn`). */
  intermediate: LinearNames;
  /** FFN down-projection, I -> H (ALBERT `ffn_output`). */
  output: LinearNames;
  /** LayerNorm after the FFN residual (ALBERT `full_layer_layer_norm`). */
  outputNorm: NormNames;
}

/** A PAL (projected attention layer) for one task in one layer. */
export interface PalNames {
  /** Discriminant of the adapter union. */
  kind: "pals";
  /** V_E, H -> d_s (`mult_aug_dense`), shared by all layers of the task. */
  encoder: LinearNames;
  /** V_D, d_s -> H (`mult_aug_dense2`), shared by all layers of the task. */
  decoder: LinearNames;
  /** Small-space attention query, d_s -> d_s. */
  query: LinearNames;
  /** Small-space attention key, d_s -> d_s. */
  key: LinearNames;
  /** Small-space attention value, d_s -> d_s. */
  value: LinearNames;
}

/** A low-rank adapter for one task in one layer: `V_D · gelu(V_E · h)`. */
export interface LowRankNames {
  /** Discriminant of the adapter union. */
  kind: "low-rank";
  /** V_E, H -> d_s (`aug_dense`), this layer's own. */
  encoder: LinearNames;
  /** V_D, d_s -> H (`aug_dense2`), this layer's own. */
  decoder: LinearNames;
}

/** One attention block of the top-projected adapter (in the small space). */
export interface TopLayerNames {
  /** Attention query, d_s -> d_s (`self.query`). */
  query: LinearNames;
  /** Attention key, d_s -> d_s (`self.key`). */
  key: LinearNames;
  /** Attention value, d_s -> d_s (`self.value`). */
  value: LinearNames;
  /** Attention output projection, d_s -> d_s (`output.dense`). */
  attentionOutput: LinearNames;
  /** LayerNorm after the residual, `[d_s]` (`output.LayerNorm`). */
  attentionNorm: NormNames;
}

/** The top-projected adapter of one task. */
export interface TopProjectionNames {
  /** Projection into the small space, H -> d_s (`mult_dense`). */
  down: LinearNames;
  /** Projection back, d_s -> H (`mult_dense2`). */
  up: LinearNames;
  /** The `num_top_layers` attention blocks applied in between. */
  layers: TopLayerNames[];
}

/** One layer as applied in the forward pass (shared weights repeat their names). */
export interface AppliedLayer {
  /** The transformer layer's tensors. */
  names: LayerNames;
  /** Per-task adapter of this layer, or undefined where the layer has none. */
  adapters?: (PalNames | LowRankNames)[];
}

/** Everything a backend needs to know about a model's tensors. */
export interface ModelLayout {
  /** Word, position and token-type embedding tables (`[*, E]`) and their LayerNorm. */
  embeddings: { word: string; position: string; tokenType: string; norm: NormNames };
  /** ALBERT's `embedding_hidden_mapping_in` (E -> H). */
  embeddingProjection?: LinearNames;
  /** Applied layers in forward order (ALBERT: L × `innerGroupNum`); shared ones repeat names. */
  layers: AppliedLayer[];
  /** Per-task top-projected adapters. */
  top?: TopProjectionNames[];
  /** Pooler dense, H -> H, applied to the first token (tanh). */
  pooler: LinearNames;
  /** Head Linear layers: one, or one per task for multi-task models. */
  classifiers: LinearNames[];
  /** Span head `qa_outputs`, H -> 2 (start, end logits); question answering only. */
  qaOutputs?: LinearNames;
  /** Every tensor once, in a stable order. */
  tensors: TensorSpec[];
}

/** Build the layout of a config. */
export function modelLayout(config: ModelConfig): ModelLayout {
  const specs = new Map<string, TensorSpec>();
  const add = (name: string, shape: number[], role: TensorRole) => {
    if (!specs.has(name)) specs.set(name, { name, shape, role });
    return name;
  };
  const linear = (prefix: string, inFeatures: number, outFeatures: number): LinearNames => ({
    weight: add(`${prefix}.weight`, [outFeatures, inFeatures], "linear-weight"),
    bias: add(`${prefix}.bias`, [outFeatures], "bias"),
    inFeatures,
    outFeatures,
  });
  const norm = (prefix: string, size: number): NormNames => ({
    weight: add(`${prefix}.weight`, [size], "norm-weight"),
    bias: add(`${prefix}.bias`, [size], "norm-bias"),
    size,
  });
  const {
    hiddenSize: H,
    embeddingSize: E,
    intermediateSize: I,
    numHiddenLayers: L,
    modelType,
  } = config;
  const root = modelType;

  const embeddings = {
    word: add(`${root}.embeddings.word_embeddings.weight`, [config.vocabSize, E], "embedding"),
    position: add(
      `${root}.embeddings.position_embeddings.weight`,
      [config.maxPositionEmbeddings, E],
      "embedding",
    ),
    tokenType: add(
      `${root}.embeddings.token_type_embeddings.weight`,
      [config.typeVocabSize, E],
      "embedding",
    ),
    norm: norm(`${root}.embeddings.LayerNorm`, E),
  };
  const embeddingProjection = modelType === "albert"
    ? linear(`${root}.encoder.embedding_hidden_mapping_in`, E, H)
    : undefined;

  const attentionPart = (p: string, albert: boolean) =>
    albert
      ? {
        query: linear(`${p}.attention.query`, H, H),
        key: linear(`${p}.attention.key`, H, H),
        value: linear(`${p}.attention.value`, H, H),
        attentionOutput: linear(`${p}.attention.dense`, H, H),
        attentionNorm: norm(`${p}.attention.LayerNorm`, H),
      }
      : {
        query: linear(`${p}.attention.self.query`, H, H),
        key: linear(`${p}.attention.self.key`, H, H),
        value: linear(`${p}.attention.self.value`, H, H),
        attentionOutput: linear(`${p}.attention.output.dense`, H, H),
        attentionNorm: norm(`${p}.attention.output.LayerNorm`, H),
      };
  const ffnPart = (p: string, albert: boolean) =>
    albert
      ? {
        intermediate: linear(`${p}.ffn`, H, I),
        output: linear(`${p}.ffn_output`, I, H),
        outputNorm: norm(`${p}.full_layer_layer_norm`, H),
      }
      : {
        intermediate: linear(`${p}.intermediate.dense`, H, I),
        output: linear(`${p}.output.dense`, I, H),
        outputNorm: norm(`${p}.output.LayerNorm`, H),
      };

  const layers: AppliedLayer[] = [];
  if (modelType === "albert") {
    const groupPrefix = (g: number, j: number) =>
      `${root}.encoder.albert_layer_groups.${g}.albert_layers.${j}`;
    const sharing = config.crossLayerSharing;
    const layersPerGroup = L / config.numHiddenGroups;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < config.innerGroupNum; j++) {
        const shared = groupPrefix(Math.floor(i / layersPerGroup), j);
        const own = groupPrefix(i, j);
        const attentionPrefix = sharing === "shared-FFN" || sharing === "not-shared" ? own : shared;
        const ffnPrefix = sharing === "shared-attention" || sharing === "not-shared" ? own : shared;
        layers.push({
          names: { ...attentionPart(attentionPrefix, true), ...ffnPart(ffnPrefix, true) },
        });
      }
    }
  } else {
    for (let i = 0; i < L; i++) {
      const p = `${root}.encoder.layer.${i}`;
      layers.push({ names: { ...attentionPart(p, false), ...ffnPart(p, false) } });
    }
  }

  const adapter = config.adapter;
  let top: TopProjectionNames[] | undefined;
  if (adapter && adapter.kind !== "top-projected") {
    const d = adapter.hiddenSizeAug;
    const tasks = [...Array(adapter.numTasks).keys()];
    const sharedPal = tasks.map((t) => ({
      encoder: adapter.kind === "pals"
        ? linear(`${root}.encoder.mult_aug_dense.${t}`, H, d)
        : undefined,
      decoder: adapter.kind === "pals"
        ? linear(`${root}.encoder.mult_aug_dense2.${t}`, d, H)
        : undefined,
    }));
    const firstAdapted = adapter.layers === "top-half" ? Math.floor(L / 2) : 0;
    layers.forEach((layer, l) => {
      if (l < firstAdapted) return;
      layer.adapters = tasks.map((t): PalNames | LowRankNames => {
        const p = `${root}.encoder.layer.${l}.multi_layers.${t}`;
        if (adapter.kind === "low-rank") {
          return {
            kind: "low-rank",
            encoder: linear(`${p}.aug_dense`, H, d),
            decoder: linear(`${p}.aug_dense2`, d, H),
          };
        }
        return {
          kind: "pals",
          encoder: sharedPal[t].encoder!,
          decoder: sharedPal[t].decoder!,
          query: linear(`${p}.attn.query`, d, d),
          key: linear(`${p}.attn.key`, d, d),
          value: linear(`${p}.attn.value`, d, d),
        };
      });
    });
  } else if (adapter) {
    const d = adapter.hiddenSizeAug;
    top = [...Array(adapter.numTasks).keys()].map((t) => ({
      down: linear(`${root}.encoder.mult_dense.${t}`, H, d),
      up: linear(`${root}.encoder.mult_dense2.${t}`, d, H),
      layers: [...Array(adapter.numTopLayers).keys()].map((k) => {
        const p = `${root}.encoder.multi_layers.${t}.${k}`;
        return {
          query: linear(`${p}.self.query`, d, d),
          key: linear(`${p}.self.key`, d, d),
          value: linear(`${p}.self.value`, d, d),
          attentionOutput: linear(`${p}.output.dense`, d, d),
          attentionNorm: norm(`${p}.output.LayerNorm`, d),
        };
      }),
    }));
  }

  const pooler = linear(modelType === "albert" ? `${root}.pooler` : `${root}.pooler.dense`, H, H);

  const head = config.head;
  const classifiers: LinearNames[] = [];
  let qaOutputs: LinearNames | undefined;
  if (head.kind === "sequence-classification") {
    classifiers.push(linear("classifier", H, head.numLabels));
  }
  if (head.kind === "multiple-choice") classifiers.push(linear("classifier", H, 1));
  if (head.kind === "multi-task") {
    head.taskNumLabels.forEach((n, t) => classifiers.push(linear(`classifier.${t}`, H, n)));
  }
  if (head.kind === "question-answering") qaOutputs = linear("qa_outputs", H, 2);

  return {
    embeddings,
    embeddingProjection,
    layers,
    top,
    pooler,
    classifiers,
    qaOutputs,
    tensors: [...specs.values()],
  };
}

/** Number of scalars in a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
