/** Score a GLUE predictions file against the gold labels of a split. */
import { DataError, type Metrics, readPredictions, type Split } from "../task.ts";
import { glueFile, loadGlue } from "./load.ts";
import { glueMetrics } from "./metrics.ts";
import { parseGluePredictions } from "./predictions.ts";
import { glueTask } from "./tasks.ts";

/**
 * The task's metrics (×100) of `predictionsFile` on a labelled split of the data under `root`;
 * with `limit`, on its first `limit` rows only (the subset `eval --limit` ran).
 */
export async function scoreGlue(
  root: string,
  taskName: string,
  split: Split,
  predictionsFile: string,
  limit?: number,
): Promise<Metrics> {
  const task = glueTask(taskName);
  // Checked before reading anything: a test split has no gold labels to score against.
  if (glueFile(task, split).label === undefined) {
    const labelled = Object.entries(task.splits).filter(([, f]) => f.label !== undefined);
    throw new DataError(
      `Cannot score ${task.name} ${split}: the split has no labels; labelled splits: ` +
        labelled.map(([s]) => s).join(", "),
    );
  }
  const all = loadGlue(root, task, split);
  const examples = limit === undefined ? all : all.slice(0, limit);
  const text = await readPredictions(predictionsFile);
  const predictions = parseGluePredictions(text, predictionsFile, task, examples);
  return glueMetrics(task, predictions, examples.map((e) => e.label!));
}
