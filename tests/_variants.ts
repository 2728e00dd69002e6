/**
 * Tiny configs of every architecture the engines run (each ALBERT sharing
 * mode and grouping, BERT, the three multi-task adapters and none) with the heads,
 * shared by the parity and gradient tests: [label, zoo entry, config keys].
 */
import type { MatmulVariant } from "../kernels/matmul.ts";

export const VARIANTS: [string, string, Record<string, unknown>][] = [
  ["ALBERT all-shared, E≠H, classification", "tiny-albert", {
    architectures: ["AlbertForSequenceClassification"],
    num_labels: 3,
  }],
  ["ALBERT groups 2 × inner 2, question answering", "tiny-albert-groups", {
    architectures: ["AlbertForQuestionAnswering"],
  }],
  ["ALBERT shared-attention, multiple choice", "tiny-albert", {
    cross_layer_sharing: "shared-attention",
    architectures: ["AlbertForMultipleChoice"],
  }],
  ["ALBERT shared-FFN, regression head", "tiny-albert", {
    cross_layer_sharing: "shared-FFN",
    architectures: ["AlbertForSequenceClassification"],
    num_labels: 1,
  }],
  ["ALBERT not-shared (one group per layer), exact GELU", "tiny-albert", {
    num_hidden_groups: 2,
    hidden_act: "gelu",
  }],
  ["BERT, classification", "tiny-bert", {
    architectures: ["BertForSequenceClassification"],
    num_labels: 2,
  }],
  ["BERT shared backbone, per-task heads (no adapters)", "tiny-bert", {
    architectures: ["BertForMultiTask"],
    task_num_labels: [1, 3],
  }],
  ["BERT with PALs, two tasks", "tiny-bert-pals", { task_num_labels: [2, 3] }],
  ["BERT with PALs in the top half of layers", "tiny-bert-pals", { adapter_layers: "top-half" }],
  ["BERT with low-rank adapters, two tasks", "tiny-bert", {
    mult: true,
    hidden_size_aug: 10,
    num_tasks: 2,
    architectures: ["BertForMultiTask"],
  }],
  ["BERT with top-projected attention, two tasks", "tiny-bert", {
    top: true,
    hidden_size_aug: 12,
    num_attention_heads_aug: 3,
    num_tasks: 2,
    num_top_layers: 2,
    architectures: ["BertForMultiTask"],
  }],
];

/**
 * Every Linear kernel, so parity tests check each, not only the adapter's
 * default: `simd` and `tiled` run on any adapter, `subgroup` needs the
 * `subgroups` feature at a fixed size (lavapipe has it; elsewhere its tests
 * fail with `SubgroupUnsupportedError` rather than pass unchecked).
 */
export const MATMUL_VARIANTS: MatmulVariant[] = ["simd", "subgroup", "tiled"];

/** Every variant with each Linear kernel, variant by variant, for the parity tests. */
export const VARIANTS_BY_MATMUL: (readonly [(typeof VARIANTS)[number], MatmulVariant])[] = VARIANTS
  .flatMap((v) => MATMUL_VARIANTS.map((m) => [v, m] as const));
