/**
 * GLUE tasks in the task registry: rows `[CLS] a [SEP] b [SEP]` (max 128
 * tokens unless told), argmax over the head's labels (STS-B: the single
 * regression output), predictions as the GLUE submission file.
 */
import { join } from "node:path";
import { encodePair } from "../../tokenizers/tokenizer.ts";
import type { Split, TaskEntry } from "../task.ts";
import { loadGlue } from "./load.ts";
import { parseScore } from "./_text.ts";
import { glueMetrics } from "./metrics.ts";
import { formatGluePredictions } from "./predictions.ts";
import { scoreGlue } from "./score.ts";
import { GLUE_TASKS, type GlueTask } from "./tasks.ts";

/** Default max sequence length of GLUE fine-tuning in the BERT and ALBERT papers' code. */
export const GLUE_MAX_SEQ_LENGTH = 128;

/** File names of the gluebenchmark.com submission zip. */
const SUBMISSION_FILES: Record<string, string> = {
  "glue/cola": "CoLA.tsv",
  "glue/sst2": "SST-2.tsv",
  "glue/mrpc": "MRPC.tsv",
  "glue/stsb": "STS-B.tsv",
  "glue/qqp": "QQP.tsv",
  "glue/mnli-m": "MNLI-m.tsv",
  "glue/mnli-mm": "MNLI-mm.tsv",
  "glue/qnli": "QNLI.tsv",
  "glue/rte": "RTE.tsv",
  "glue/wnli": "WNLI.tsv",
  "glue/ax": "AX.tsv",
};

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The prediction string of one row's logits: a label, or STS-B's score. */
export function gluePrediction(task: GlueTask, logits: ArrayLike<number>): string {
  return task.regression ? String(logits[0]) : task.labels[argmax(logits)];
}

/**
 * The training target of a gold label that `loadGlue` accepted (its `checkGold` refuses
 * non-numbers and unknown labels): its index in the task's labels, or STS-B's score.
 */
function glueTarget(task: GlueTask, label: string): number {
  return task.regression ? parseScore(label)! : task.labels.indexOf(label);
}

function files(task: GlueTask, split: Split): string[] {
  const spec = task.splits[split];
  return spec ? [`${task.folder}/${spec.file}`] : [];
}

function entry(task: GlueTask): TaskEntry {
  return {
    name: task.name,
    family: "glue",
    head: { kind: "sequence-classification", numLabels: task.numLabels },
    metrics: [...task.metrics],
    splits: Object.keys(task.splits) as Split[],
    files: (split) => files(task, split),
    size(root, split) {
      // Missing or unreadable (empty, malformed) files show as "—", as SQuAD and RACE do.
      try {
        return Promise.resolve(loadGlue(root, task, split).length);
      } catch {
        return Promise.resolve(undefined);
      }
    },
    prepare({ root, split, tokenizer, limit, maxSeqLength }) {
      const all = loadGlue(root, task, split);
      const examples = limit === undefined ? all : all.slice(0, limit);
      const rows = examples.map((e) =>
        encodePair(
          tokenizer.special,
          tokenizer.tokenize(e.textA).ids,
          e.textB === undefined ? undefined : tokenizer.tokenize(e.textB).ids,
          maxSeqLength ?? GLUE_MAX_SEQ_LENGTH,
        )
      );
      const labelled = examples.every((e) => e.label !== undefined);
      return Promise.resolve({
        rows,
        groupSize: 1,
        examples: examples.length,
        targets: labelled ? examples.map((e) => glueTarget(task, e.label!)) : undefined,
        dataFiles: files(task, split).map((f) => join(root, f)), // loadGlue checked they exist
        finish(logits) {
          const predictions = logits.map((l) => gluePrediction(task, l));
          const golds = labelled ? examples.map((e) => e.label!) : undefined;
          const name = SUBMISSION_FILES[task.name];
          return {
            files: {
              [name]: formatGluePredictions(
                task,
                examples.map((e, i) => ({ index: e.index, prediction: predictions[i] })),
              ),
            },
            predictionsFile: name,
            metrics: golds && examples.length > 0
              ? glueMetrics(task, predictions, golds)
              : undefined,
            // Corpus-level metrics (F1, MCC, correlations) are recomputed on each resample.
            metricsOf: golds && examples.length > 0
              ? (indices) =>
                glueMetrics(
                  task,
                  Array.from(indices, (i) => predictions[i]),
                  Array.from(indices, (i) => golds[i]),
                )
              : undefined,
            samples: examples.map((e, i) => ({
              index: e.index,
              input_ids: rows[i].inputIds,
              token_type_ids: rows[i].tokenTypeIds,
              logits: Array.from(logits[i]),
              prediction: predictions[i],
              label: e.label ?? null,
            })),
          };
        },
      });
    },
    score: ({ root, split, predictionsFile, limit }) =>
      scoreGlue(root, task.name, split, predictionsFile, limit),
  };
}

/** Registry entries of the GLUE tasks, in GLUE's reporting order. */
export const GLUE_ENTRIES: readonly TaskEntry[] = GLUE_TASKS.map(entry);
