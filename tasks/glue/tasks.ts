/**
 * The GLUE task table: where each task's files live in the official GLUE layout, which columns
 * hold the texts and the label, the label list and the metrics. Tasks are data (as in
 * lm-evaluation-harness); the loader, metrics and predictions code read only this table.
 *
 * Files marked "shipped" are in `../shared/data/glue/`; the others are in the official GLUE
 * download and are read when a user points `--data` at a full copy.
 */
import type { Split } from "../task.ts";

/** A column found by header name, or by 0-based position in a file without a header (CoLA). */
export type Column = string | number;

/** One split's file and its columns; `label` is absent for an unlabelled split (test). */
export interface GlueFile {
  /** Path under the task folder. */
  readonly file: string;
  /** False for CoLA's train/dev, which have no header line; columns are then positions. */
  readonly header: boolean;
  readonly textA: Column;
  readonly textB?: Column;
  readonly label?: Column;
}

/** A GLUE task: files, columns, labels and metrics. */
export interface GlueTask {
  readonly name: string;
  /** Folder under the data root, e.g. `glue/CoLA`. */
  readonly folder: string;
  readonly splits: Readonly<Partial<Record<Split, GlueFile>>>;
  /** Label strings as written in the data, in the order of HF `transformers` glue processors
   * (index i is the model's output i). Empty for STS-B, which is a regression. */
  readonly labels: readonly string[];
  readonly regression: boolean;
  /** The range gold scores lie in (STS-B: 0 to 5); a model's predictions may fall outside it. */
  readonly scoreRange?: readonly [number, number];
  /** Width of the classifier head: the label count, or 1 for STS-B. */
  readonly numLabels: number;
  /** Metric names in the order they are reported (DESIGN §4). */
  readonly metrics: readonly string[];
}

const BINARY = ["0", "1"] as const;
const NLI3 = ["contradiction", "entailment", "neutral"] as const;
const NLI2 = ["entailment", "not_entailment"] as const;

/** Files with a header line and the same column names in every split; test has no label. */
function headerFiles(
  files: Partial<Record<Split, string>>,
  textA: string,
  textB: string | undefined,
  label: string,
): Partial<Record<Split, GlueFile>> {
  const splits: Partial<Record<Split, GlueFile>> = {};
  for (const [split, file] of Object.entries(files) as [Split, string][]) {
    splits[split] = {
      file,
      header: true,
      textA,
      ...(textB === undefined ? {} : { textB }),
      ...(split === "test" ? {} : { label }),
    };
  }
  return splits;
}

function classification(
  name: string,
  folder: string,
  splits: Partial<Record<Split, GlueFile>>,
  labels: readonly string[],
  metrics: readonly string[],
): GlueTask {
  return { name, folder, splits, labels, regression: false, numLabels: labels.length, metrics };
}

const TASKS: readonly GlueTask[] = [
  classification(
    "glue/cola",
    "glue/CoLA",
    {
      // Official train/dev: `source  label  original-label  sentence`, no header (shipped).
      train: { file: "train.tsv", header: false, textA: 3, label: 1 },
      dev: { file: "dev.tsv", header: false, textA: 3, label: 1 },
      // Test has a header `index  sentence` (shipped).
      test: { file: "test.tsv", header: true, textA: "sentence" },
    },
    BINARY,
    ["mcc"],
  ),
  // Train and dev shipped; test (`index  sentence`) only in the official download.
  classification(
    "glue/sst2",
    "glue/SST-2",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "sentence",
      undefined,
      "label",
    ),
    BINARY,
    ["accuracy"],
  ),
  // All three shipped. Train/dev start with a UTF-8 BOM and use CRLF; test's first column is
  // `index` where train/dev have `Quality`.
  classification(
    "glue/mrpc",
    "glue/MRPC",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "#1 String",
      "#2 String",
      "Quality",
    ),
    BINARY,
    ["accuracy", "f1"],
  ),
  // Train and dev shipped; test only in the official download.
  {
    name: "glue/stsb",
    folder: "glue/STS-B",
    splits: headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "sentence1",
      "sentence2",
      "score",
    ),
    labels: [],
    regression: true,
    scoreRange: [0, 5],
    numLabels: 1,
    metrics: ["pearson", "spearmanr"],
  },
  // Dev shipped (header `index question1 question2 is_duplicate`; the official file also has
  // id/qid1/qid2, which is why columns go by name); train and test only in the download.
  classification(
    "glue/qqp",
    "glue/QQP",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "question1",
      "question2",
      "is_duplicate",
    ),
    BINARY,
    ["accuracy", "f1"],
  ),
  // Dev shipped with a reduced header; train and test only in the download.
  classification(
    "glue/mnli-m",
    "glue/MNLI",
    headerFiles(
      { train: "train.tsv", dev: "dev_matched.tsv", test: "test_matched.tsv" },
      "sentence1",
      "sentence2",
      "gold_label",
    ),
    NLI3,
    ["accuracy"],
  ),
  classification(
    "glue/mnli-mm",
    "glue/MNLI",
    headerFiles(
      { train: "train.tsv", dev: "dev_mismatched.tsv", test: "test_mismatched.tsv" },
      "sentence1",
      "sentence2",
      "gold_label",
    ),
    NLI3,
    ["accuracy"],
  ),
  // Dev shipped; train and test only in the download.
  classification(
    "glue/qnli",
    "glue/QNLI",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "question",
      "sentence",
      "label",
    ),
    NLI2,
    ["accuracy"],
  ),
  // All three shipped.
  classification(
    "glue/rte",
    "glue/RTE",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "sentence1",
      "sentence2",
      "label",
    ),
    NLI2,
    ["accuracy"],
  ),
  classification(
    "glue/wnli",
    "glue/WNLI",
    headerFiles(
      { train: "train.tsv", dev: "dev.tsv", test: "test.tsv" },
      "sentence1",
      "sentence2",
      "label",
    ),
    BINARY,
    ["accuracy"],
  ),
  // The labelled diagnostic set is shipped and serves as dev (MNLI-style labels, scored with
  // Matthews corr. over three classes). The unlabelled `diagnostic.tsv` (`index sentence1
  // sentence2`) is only in the download; there is no train set.
  classification(
    "glue/ax",
    "glue/diagnostic",
    {
      dev: {
        file: "diagnostic-full.tsv",
        header: true,
        textA: "Premise",
        textB: "Hypothesis",
        label: "Label",
      },
      test: { file: "diagnostic.tsv", header: true, textA: "sentence1", textB: "sentence2" },
    },
    NLI3,
    ["mcc"],
  ),
];

/** Every GLUE task, in GLUE's reporting order. */
export const GLUE_TASKS: readonly GlueTask[] = TASKS;

/** The GLUE task called `name` (e.g. `glue/rte`); throws listing the valid names otherwise. */
export function glueTask(name: string): GlueTask {
  const task = TASKS.find((t) => t.name === name);
  if (task === undefined) {
    throw new Error(
      `Unknown GLUE task "${name}"; valid names: ${TASKS.map((t) => t.name).join(", ")}`,
    );
  }
  return task;
}
