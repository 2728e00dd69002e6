/**
 * The papers' figures the leaderboard prints beside our runs, transcribed
 * from `docs/PAPER_TABLES.md` (Lan et al. 2019, arXiv 1909.11942v6, Tables 2,
 * 3 and 4 and the google-research/albert README; Stickland & Murray 2019,
 * arXiv 1902.02671). The papers' rounded parameter figures of Tables 1, 3 and
 * 4 live with the configs they describe (`paperParams` in `models/zoo.ts`).
 * Nothing here is measured; every figure is marked as the paper's wherever
 * it is shown.
 */

/** A SQuAD score as the papers print it: F1 and exact match. */
export interface SquadScore {
  f1: number;
  em: number;
}

/** One row of ALBERT Table 2 (or of the v2 README's table, which has no speed-up). */
export interface PaperTable2Row {
  /** The paper's name of the model, e.g. `ALBERT-base`. */
  label: string;
  /** The zoo model our row of the same model uses. */
  model: string;
  squad11: SquadScore;
  squad20: SquadScore;
  mnli: number;
  sst2: number;
  race: number;
  avg: number;
  /** Training data throughput relative to BERT-large; absent in the README table. */
  speedup?: number;
}

/** ALBERT Table 2: dev results after 125k pre-training steps (PAPER_TABLES.md, "ALBERT Table 2"). */
export const ALBERT_TABLE_2: readonly PaperTable2Row[] = [
  {
    label: "BERT-base",
    model: "bert-base-uncased",
    squad11: { f1: 90.4, em: 83.2 },
    squad20: { f1: 80.4, em: 77.6 },
    mnli: 84.5,
    sst2: 92.8,
    race: 68.2,
    avg: 82.3,
    speedup: 4.7,
  },
  {
    label: "BERT-large",
    model: "bert-large-uncased",
    squad11: { f1: 92.2, em: 85.5 },
    squad20: { f1: 85.0, em: 82.2 },
    mnli: 86.6,
    sst2: 93.0,
    race: 73.9,
    avg: 85.2,
    speedup: 1.0,
  },
  {
    label: "ALBERT-base",
    model: "albert-base-v2",
    squad11: { f1: 89.3, em: 82.3 },
    squad20: { f1: 80.0, em: 77.1 },
    mnli: 81.6,
    sst2: 90.3,
    race: 64.0,
    avg: 80.1,
    speedup: 5.6,
  },
  {
    label: "ALBERT-large",
    model: "albert-large-v2",
    squad11: { f1: 90.6, em: 83.9 },
    squad20: { f1: 82.3, em: 79.4 },
    mnli: 83.5,
    sst2: 91.7,
    race: 68.5,
    avg: 82.4,
    speedup: 1.7,
  },
  {
    label: "ALBERT-xlarge",
    model: "albert-xlarge-v2",
    squad11: { f1: 92.5, em: 86.1 },
    squad20: { f1: 86.1, em: 83.1 },
    mnli: 86.4,
    sst2: 92.4,
    race: 74.8,
    avg: 85.5,
    speedup: 0.6,
  },
  {
    label: "ALBERT-xxlarge",
    model: "albert-xxlarge-v2",
    squad11: { f1: 94.1, em: 88.3 },
    squad20: { f1: 88.1, em: 85.1 },
    mnli: 88.0,
    sst2: 95.2,
    race: 82.3,
    avg: 88.7,
    speedup: 0.3,
  },
];

/** The released v2 models' dev results (PAPER_TABLES.md, "ALBERT v2 released models"). */
export const ALBERT_V2_README: readonly PaperTable2Row[] = [
  {
    label: "ALBERT-base v2",
    model: "albert-base-v2",
    squad11: { f1: 90.2, em: 83.2 },
    squad20: { f1: 82.1, em: 79.3 },
    mnli: 84.6,
    sst2: 92.9,
    race: 66.8,
    avg: 82.3,
  },
  {
    label: "ALBERT-large v2",
    model: "albert-large-v2",
    squad11: { f1: 91.8, em: 85.2 },
    squad20: { f1: 84.9, em: 81.8 },
    mnli: 86.5,
    sst2: 94.9,
    race: 75.2,
    avg: 85.7,
  },
  {
    label: "ALBERT-xlarge v2",
    model: "albert-xlarge-v2",
    squad11: { f1: 92.9, em: 86.4 },
    squad20: { f1: 87.9, em: 84.1 },
    mnli: 87.9,
    sst2: 95.4,
    race: 80.7,
    avg: 87.9,
  },
  {
    label: "ALBERT-xxlarge v2",
    model: "albert-xxlarge-v2",
    squad11: { f1: 94.6, em: 89.1 },
    squad20: { f1: 89.8, em: 86.9 },
    mnli: 90.6,
    sst2: 96.8,
    race: 86.8,
    avg: 90.9,
  },
];

/** Table 1's other columns for the six released models, in the paper's order. */
export const ALBERT_TABLE_1: readonly { label: string; model: string; sharing: string }[] = [
  { label: "BERT-base", model: "bert-base-uncased", sharing: "no" },
  { label: "BERT-large", model: "bert-large-uncased", sharing: "no" },
  { label: "ALBERT-base", model: "albert-base-v2", sharing: "all" },
  { label: "ALBERT-large", model: "albert-large-v2", sharing: "all" },
  { label: "ALBERT-xlarge", model: "albert-xlarge-v2", sharing: "all" },
  { label: "ALBERT-xxlarge", model: "albert-xxlarge-v2", sharing: "all" },
];

/** Cross-layer sharing modes in the order of ALBERT Table 4. */
export const SHARINGS = ["all-shared", "shared-attention", "shared-FFN", "not-shared"] as const;

/** One cell of ALBERT Tables 3 and 4: an ALBERT-base ablation's downstream Avg. */
export interface PaperAblation {
  embedding: number;
  sharing: (typeof SHARINGS)[number];
  avg: number;
}

/**
 * ALBERT Tables 3 and 4 (PAPER_TABLES.md): the downstream Avg of each
 * ablation. E=128 not-shared is 81.7 in Table 3 and 81.6 in Table 4; both
 * are kept, the table they come from decides.
 */
export const ALBERT_TABLE_3: readonly PaperAblation[] = [
  { embedding: 64, sharing: "not-shared", avg: 81.3 },
  { embedding: 64, sharing: "all-shared", avg: 79.0 },
  { embedding: 128, sharing: "not-shared", avg: 81.7 },
  { embedding: 128, sharing: "all-shared", avg: 80.1 },
  { embedding: 256, sharing: "not-shared", avg: 81.8 },
  { embedding: 256, sharing: "all-shared", avg: 79.6 },
  { embedding: 768, sharing: "not-shared", avg: 82.3 },
  { embedding: 768, sharing: "all-shared", avg: 79.8 },
];

/** ALBERT Table 4 (PAPER_TABLES.md): cross-layer sharing at E=768 and E=128. */
export const ALBERT_TABLE_4: readonly PaperAblation[] = [
  { embedding: 768, sharing: "all-shared", avg: 79.8 },
  { embedding: 128, sharing: "all-shared", avg: 80.1 },
  { embedding: 768, sharing: "shared-attention", avg: 81.6 },
  { embedding: 128, sharing: "shared-attention", avg: 81.7 },
  { embedding: 768, sharing: "shared-FFN", avg: 79.5 },
  { embedding: 128, sharing: "shared-FFN", avg: 80.2 },
  { embedding: 768, sharing: "not-shared", avg: 82.3 },
  { embedding: 128, sharing: "not-shared", avg: 81.6 },
];

/**
 * What is known of the BERT-and-PALs paper's results (PAPER_TABLES.md, "BERT
 * and PALs"): its result tables are not available offline, so only the
 * parameter multipliers for its 8 GLUE tasks are given, and no scores.
 */
export const PALS_PAPER: readonly { method: string; multiplier: string }[] = [
  { method: "Separate fine-tuned BERT-base models", multiplier: "8×" },
  { method: "PALs (shared BERT-base + adapters)", multiplier: "≈1.13×" },
];

/** Shown in a paper cell whose figure the offline sources do not give. */
export const NOT_TRANSCRIBED = "not available offline";
