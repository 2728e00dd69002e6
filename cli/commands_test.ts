/** The `tasks`, `score` and `eval` command lines: output shape, exit codes and messages. */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";

import { runCli } from "../tests/_cli.ts";

const DATA = new URL("../../shared/data/", import.meta.url).pathname;

const cli = (...args: string[]) => runCli(args, { HARNESS_DATA: DATA });

/**
 * A test that runs the command line in subprocesses, with a temporary directory
 * `out` removed afterwards (the subprocesses' handles outlive Deno's resource check).
 */
function tempDirTest(name: string, body: (out: string) => Promise<void>) {
  Deno.test({
    name,
    sanitizeResources: false,
    async fn() {
      const out = await Deno.makeTempDir();
      try {
        await body(out);
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    },
  });
}

Deno.test("tasks --json lists every task with the sizes found under the data directory", async () => {
  const { code, stdout } = await cli("tasks", "--json");
  strictEqual(code, 0);
  const rows = JSON.parse(stdout) as {
    name: string;
    metrics: string[];
    sizes: Record<string, number | null>;
  }[];
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  strictEqual(rows.length, 14);
  strictEqual(by["glue/rte"].sizes.dev, 277);
  strictEqual(by["glue/qqp"].sizes.train, null, "QQP train is not shipped");
  strictEqual(by["squad/v2.0"].sizes.dev, 11873);
  strictEqual(by["race"].sizes.dev, 3451 + 1436);
  deepStrictEqual(by["glue/mrpc"].metrics, ["accuracy", "f1"]);
});

Deno.test("tasks says how to point it at the data when it finds none", async () => {
  const missing = await cli("tasks", "--data", "/nonexistent/data");
  strictEqual(missing.code, 0);
  match(missing.stdout, /glue\/rte /);
  strictEqual(
    missing.stderr.trim(),
    'note: the data directory "/nonexistent/data" does not exist; pass --data DIR ' +
      "(e.g. --data ../shared/data) or set HARNESS_DATA",
  );
  // --json keeps stdout pure JSON and puts the same note on stderr.
  const missingJson = await cli("tasks", "--data", "/nonexistent/data", "--json");
  strictEqual(JSON.parse(missingJson.stdout).length, 14);
  strictEqual(missingJson.stderr.trim(), missing.stderr.trim());
  const found = await cli("tasks");
  strictEqual(found.stderr, "");
  // An empty GLUE file counts as missing ("—"), as SQuAD's and RACE's unreadable files do.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "glue/RTE"), { recursive: true });
    Deno.writeTextFileSync(join(dir, "glue/RTE/dev.tsv"), "");
    const empty = await cli("tasks", "--data", dir, "--json");
    strictEqual(empty.code, 0, empty.stderr);
    const rte = JSON.parse(empty.stdout).find((t: { name: string }) => t.name === "glue/rte");
    strictEqual(rte.sizes.dev, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("score prints one JSON object of metrics; --limit scores the eval subset", async () => {
  const dir = await Deno.makeTempDir();
  // Gold labels of RTE dev as predictions: accuracy 100.
  const rte = Deno.readTextFileSync(join(DATA, "glue/RTE/dev.tsv")).trim().split("\n").slice(1);
  const gold = join(dir, "RTE.tsv");
  Deno.writeTextFileSync(
    gold,
    "index\tprediction\n" + rte.map((l, i) => `${i}\t${l.split("\t").at(-1)}`).join("\n") + "\n",
  );
  let run = await cli("score", "--task", "glue/rte", "--predictions", gold);
  strictEqual(run.code, 0, run.stderr);
  deepStrictEqual(JSON.parse(run.stdout), { accuracy: 100 });
  // The first two rows only: without --limit the other 275 are missing.
  const two = join(dir, "two.tsv");
  Deno.writeTextFileSync(two, Deno.readTextFileSync(gold).split("\n").slice(0, 3).join("\n"));
  run = await cli("score", "--task", "glue/rte", "--predictions", two);
  strictEqual(run.code, 1);
  match(run.stderr, /275 of 277 glue\/rte examples have no prediction/);
  run = await cli("score", "--task", "glue/rte", "--predictions", two, "--limit", "2");
  strictEqual(run.code, 0, run.stderr);
  deepStrictEqual(JSON.parse(run.stdout), { accuracy: 100 });
  // SQuAD: a missing answer scores 0 with a warning, as the official script does; ids that
  // are not in the data get one summary line, never hidden by the cap on the repeated ones.
  Deno.writeTextFileSync(join(dir, "squad.json"), '{"wrong-1": "x"}');
  run = await cli("score", "--task", "squad/v1.1", "--predictions", join(dir, "squad.json"));
  strictEqual(run.code, 0, run.stderr);
  deepStrictEqual(JSON.parse(run.stdout), { exact_match: 0, f1: 0 });
  // One warning per question, as the script prints: the first ten, then a count.
  const warnings = run.stderr.trim().split("\n");
  strictEqual(warnings.length, 12);
  match(warnings[0], /^warning: Unanswered question \w+ will receive score 0\.$/);
  strictEqual(
    warnings[10],
    'warning: 1 of the predictions has an id not in the data, ignored: "wrong-1"',
  );
  strictEqual(warnings[11], 'warning: … and 10560 more "Unanswered question …" warnings');
  await Deno.remove(dir, { recursive: true });
});

tempDirTest(
  "eval's default folder names the model path, --limit and the backend, so runs never share it",
  async (dir) => {
    const records = join(dir, "records");
    const run = async (...extra: string[]) => {
      const args = ["eval", "--model", "tiny-albert-spm", "--init-head", "0", "--task", "glue/rte"];
      const done = await runCli([...args, "--data", DATA, "--records", records, ...extra], {}, dir);
      strictEqual(done.code, 0, done.stderr);
    };
    await run("--limit", "8");
    await run("--limit", "8", "--backend", "onnx");
    await run("--limit", "4");
    const folder = join(dir, "results/runs/eval/tiny-albert-spm");
    const found = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
    deepStrictEqual(found, [
      "glue-rte-dev-limit4",
      "glue-rte-dev-limit8",
      "glue-rte-dev-limit8-onnx",
    ]);
    for (const name of found) {
      const rows = Deno.readTextFileSync(join(folder, name, "RTE.tsv")).trim().split("\n");
      strictEqual(rows.length, 1 + Number(name.match(/limit(\d+)/)![1]), name);
    }
  },
);

tempDirTest("eval prints SQuAD's question counts as whole numbers", async (dir) => {
  const args = ["eval", "--model", "tiny-albert-spm", "--init-head", "0", "--task", "squad/v2.0"];
  const run = await cli(...args, "--limit", "6", "--out", join(dir, "o"), "--records", dir);
  strictEqual(run.code, 0, run.stderr);
  match(run.stdout, /│ total +│ +6 │/);
  match(run.stdout, /│ exact +│ +\d+\.\d\d │/);
});

Deno.test("score, train and eval name what is wrong", async () => {
  let run = await cli("score", "--task", "glue/nope", "--predictions", "x");
  strictEqual(run.code, 2);
  match(run.stderr, /Unknown task "glue\/nope": known tasks are glue\/cola/);
  run = await cli("train", "--model", "tiny-bert", "--task", "glue/rte", "--warmup", "2");
  strictEqual(run.code, 2);
  match(run.stderr, /^error: Flag "--warmup" must be a fraction in \[0, 1\], got "2"/);
  run = await cli("train", "--model", "tiny-bert", "--task", "glue/rte", "--lr", "0x3");
  strictEqual(run.code, 2);
  match(run.stderr, /^error: Flag "--lr" must be a non-negative number, got "0x3"/);
  run = await cli("train", "--model", "tiny-bert", "--task", "glue/rte", "--lr", "0");
  strictEqual(run.code, 2);
  match(run.stderr, /^error: Flag "--lr" must be above 0/);
  run = await cli(
    "train",
    "--model",
    "tiny-bert",
    "--task",
    "glue/rte",
    "--runs",
    "2",
    "--seeds",
    "3",
  );
  strictEqual(run.code, 2);
  match(run.stderr, /^error: Flags "--runs" and "--seeds" are one flag/);
  for (const flag of ["--task", "--tasks"]) {
    run = await cli("train", "--model", "tiny-bert", flag, "glue/nope");
    strictEqual(run.code, 2);
    match(run.stderr, /^error: Unknown task "glue\/nope": known tasks are glue\/cola/);
  }
  run = await cli("score", "--task", "squad/v1.1", "--predictions", "x", "--split", "train");
  strictEqual(run.code, 2);
  match(run.stderr, /squad\/v1.1 has the splits dev, not "train"/);
  const empty = await Deno.makeTempDir();
  run = await cli("score", "--task", "race", "--predictions", "x", "--data", empty);
  strictEqual(run.code, 1);
  match(run.stderr, /race/);
  run = await cli("score", "--task", "glue/sst2", "--predictions", "x", "--data", empty);
  strictEqual(run.code, 1);
  match(run.stderr, /glue\/SST-2\/dev\.tsv/);
  run = await cli("eval", "--model", "tiny-albert-spm", "--task", "glue/sst2", "--limit", "2");
  strictEqual(run.code, 1);
  match(run.stderr, /no task head.*--init-head SEED/);
  // --task-index on a model with one head would be ignored: refused instead.
  for (const command of [["eval", "--init-head", "0"], ["train"]]) {
    run = await cli(
      ...command,
      "--model",
      "tiny-albert-spm",
      "--task",
      "glue/rte",
      "--task-index",
      "5",
    );
    strictEqual(run.code, 1, command[0]);
    strictEqual(
      run.stderr.trim(),
      "error: --task-index picks a head of a multi-task model, but tiny-albert-spm has " +
        "no task head (a bare encoder)",
    );
  }
  // A missing data directory is named as such, not as a missing vocabulary.
  for (const command of [["eval", "--init-head", "0"], ["train"]]) {
    const model = ["--model", "tiny-albert-spm", "--task", "glue/rte"];
    run = await cli(...command, ...model, "--data", "/nonexistent/data");
    strictEqual(run.code, 1, command[0]);
    strictEqual(
      run.stderr.trim(),
      'error: The data directory "/nonexistent/data" does not exist, so neither the task\'s ' +
        "data nor the vocabulary for tiny-albert-spm can be read; pass --data DIR " +
        "(e.g. --data ../shared/data) or set HARNESS_DATA",
    );
  }
  run = await cli("eval", "--model", "tiny-albert", "--task", "glue/sst2");
  strictEqual(run.code, 1);
  ok(run.stderr.includes("error:"));
  await Deno.remove(empty, { recursive: true });
});

Deno.test("--dtype takes f32 or f16, and f16 only where it applies", async () => {
  let run = await cli("bench", "--dtype", "f8");
  strictEqual(run.code, 2);
  match(run.stderr, /Flag "--dtype" must be f32 or f16, got "f8"/);
  run = await cli("train", "--model", "tiny-albert-spm", "--task", "glue/sst2", "--dtype", "f4");
  strictEqual(run.code, 2);
  match(run.stderr, /Flag "--dtype" must be f32 or f16, got "f4"/);
  run = await cli(
    "eval",
    "--model",
    "tiny-albert",
    "--task",
    "glue/sst2",
    "--backend",
    "onnx",
    "--dtype",
    "f16",
  );
  strictEqual(run.code, 2);
  match(run.stderr, /--dtype f16" is for the webgpu backend/);
});

/** Run `train ... --out OUT --json`; asserts it succeeds and returns its JSON outcome. */
async function train(out: string, ...args: string[]) {
  const run = await cli(
    "train",
    ...args,
    "--out",
    out,
    "--records",
    join(out, "records"),
    "--json",
  );
  strictEqual(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** `eval` a kept checkpoint into OUT/eval; asserts it succeeds and returns its metrics. */
async function evalMetrics(out: string, checkpoint: string, ...args: string[]) {
  const run = await cli(
    "eval",
    "--model",
    checkpoint,
    ...args,
    "--out",
    join(out, "eval"),
    "--records",
    join(out, "records"),
    "--json",
  );
  strictEqual(run.code, 0, run.stderr);
  return JSON.parse(run.stdout).metrics;
}

/** Split a flag string into arguments. */
const flags = (text: string) => text.split(" ");

tempDirTest(
  "train trains, keeps a checkpoint eval reloads with the same dev score, and names bad input",
  async (out) => {
    const outcome = await train(
      out,
      ...flags("--model tiny-albert-spm --task glue/rte --limit 32 --eval-limit 24"),
      ...flags("--epochs 1 --batch-size 16 --lr 1e-3"),
    );
    strictEqual(outcome.runs[0].steps, 2);
    const best = outcome.runs[0].tasks[0].best;
    // The kept checkpoint (HF layout, tokenizer beside it) scores the same through `eval`.
    deepStrictEqual(
      await evalMetrics(out, join(out, "best"), ...flags("--task glue/rte --limit 24")),
      best.metrics,
    );
    const log = (await Deno.readTextFile(join(out, "train_log.jsonl"))).trim().split("\n");
    ok(log.some((l) => "loss" in JSON.parse(l)) && log.some((l) => "eval" in JSON.parse(l)));

    const noTrain = await cli("train", "--model", "tiny-albert-spm", "--task", "squad/v1.1");
    strictEqual(noTrain.code, 1);
    match(noTrain.stderr, /squad\/v1\.1 has no train split|not available/);
    const noResume = await cli(
      "train",
      ...flags("--model tiny-albert-spm --task glue/rte --limit 8 --resume --out"),
      join(out, "empty"),
    );
    strictEqual(noResume.code, 1);
    match(noResume.stderr, /--resume: no resume point in/);
    const usage = await cli("train", "--model", "tiny-albert-spm");
    strictEqual(usage.code, 2);
  },
);

tempDirTest(
  "train --dtype f16 trains in mixed precision; its checkpoint evals in f16 to its dev score",
  async (out) => {
    const outcome = await train(
      out,
      ...flags("--model tiny-albert-spm --task glue/rte --limit 32 --eval-limit 24"),
      ...flags("--epochs 1 --batch-size 16 --lr 1e-3 --log-steps 1 --dtype f16"),
    );
    const best = outcome.runs[0].tasks[0].best;
    // Dev ran on the f16 engine, so `eval --dtype f16` of the kept checkpoint scores the same.
    deepStrictEqual(
      await evalMetrics(
        out,
        join(out, "best"),
        ...flags("--task glue/rte --limit 24 --dtype f16"),
      ),
      best.metrics,
    );
    const log = (await Deno.readTextFile(join(out, "train_log.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((l) => "loss" in l);
    strictEqual(log.length, 2);
    // From PyTorch's first scale, 2^16, each skipped (overflowed) step halves it; none doubles
    // it before 2000 clean steps.
    for (const line of log) {
      strictEqual(line.loss_scale, 65536 / 2 ** line.skipped_steps);
      ok(Number.isFinite(line.loss));
    }
    const record = JSON.parse(await Deno.readTextFile(outcome.runs[0].recordPath));
    strictEqual(record.dtype, "f16");
  },
);

tempDirTest(
  "train --task-index picks a head of a multi-task checkpoint: another head is another run",
  async (out) => {
    const short = flags("--limit 16 --eval-limit 8 --epochs 1 --batch-size 8 --lr 1e-3");
    const pals = await train(
      join(out, "pals"),
      ...flags("--model tiny-bert-wordpiece --tasks glue/rte,glue/wnli --adapter pals"),
      ...flags("--steps-per-epoch 1"),
      ...short,
    );
    const checkpoint = pals.runs[0].tasks[0].checkpoint;
    // Same task, data, seed and out directory; only the head differs. Each run replaces the
    // files of the one before, so it is refused without --force. The third is the first's
    // work, but the second replaced its checkpoint, so it is not reused (it is refused); the
    // fourth reuses the third.
    const single = join(out, "single");
    const headFlags = (
      index: string,
    ) => ["--model", checkpoint, "--task", "glue/rte", "--task-index", index, ...short];
    const refused = async (index: string) => {
      const records = join(single, "records");
      const run = await cli("train", ...headFlags(index), "--out", single, "--records", records);
      strictEqual(run.code, 1, run.stderr);
      strictEqual(
        run.stderr.trim(),
        `error: ${single} holds another training run (train_log.jsonl, best, resume); ` +
          "pass --force to replace it, or choose another --out",
      );
    };
    const runs = [(await train(single, ...headFlags("0"))).runs[0]];
    await refused("1");
    runs.push((await train(single, ...headFlags("1"), "--force")).runs[0]);
    await refused("0");
    runs.push((await train(single, ...headFlags("0"), "--force")).runs[0]);
    runs.push((await train(single, ...headFlags("0"))).runs[0]);
    deepStrictEqual(runs.map((r) => r.reused), [false, false, false, true]);
    deepStrictEqual(runs.map((r) => r.tasks[0].index), [0, 1, 0, 0]);
    // The checkpoint names its heads' tasks, so WNLI finds head 1 without --task-index.
    const config = JSON.parse(Deno.readTextFileSync(join(checkpoint, "config.json")));
    deepStrictEqual(config.task_names, ["glue/rte", "glue/wnli"]);
    const wnli = ["--model", checkpoint, "--task", "glue/wnli", ...short];
    strictEqual((await train(join(out, "wnli"), ...wnli)).runs[0].tasks[0].index, 1);
  },
);

tempDirTest(
  "eval stopped by Ctrl-C says what it kept, exits 130, and the rerun resumes",
  async (out) => {
    const args = [
      ...["run", "-A", new URL("../cli.ts", import.meta.url).pathname, "eval"],
      ...[
        "--model",
        "tiny-albert-spm",
        "--task",
        "glue/sst2",
        "--data",
        DATA,
        "--init-head",
        "1",
      ],
      ...["--batch-size", "2", "--out", join(out, "eval"), "--records", join(out, "records")],
    ];
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" })
      .spawn();
    const resume = join(out, "eval", ".resume.jsonl");
    const lines = () => {
      try {
        return Deno.readTextFileSync(resume).split("\n").filter((l) => l.length > 0).length;
      } catch {
        return 0;
      }
    };
    const deadline = Date.now() + 120_000;
    while (lines() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGINT");
    const { code, stderr } = await child.output();
    strictEqual(code, 130);
    strictEqual(
      new TextDecoder().decode(stderr).trim().split("\n").at(-1),
      "interrupted: the batches finished so far are saved; run the same command again to resume from them",
    );
    const kept = lines();
    ok(kept >= 3 && kept < 1 + 872 / 2, `${kept - 1} batches kept`);
    // The rerun's progress starts past the kept batches: they are not run again.
    const rerun = await cli(...args.slice(3));
    strictEqual(rerun.code, 0, rerun.stderr);
    const first = /: (\d+)\/872 \(/.exec(rerun.stderr);
    ok(first && Number(first[1]) > 2, rerun.stderr);
    match(rerun.stdout, /accuracy/);
  },
);

tempDirTest("train is redone, not reused, when its dev data changed", async (out) => {
  // RTE cut to 16 training and 8 dev rows, in a data root of our own.
  const rte = join(out, "data", "glue", "RTE");
  await Deno.mkdir(rte, { recursive: true });
  const head = (file: string, rows: number) =>
    Deno.readTextFileSync(join(DATA, "glue/RTE", file)).split("\n").slice(0, rows + 1);
  Deno.writeTextFileSync(join(rte, "train.tsv"), head("train.tsv", 16).join("\n") + "\n");
  const dev = head("dev.tsv", 8);
  Deno.writeTextFileSync(join(rte, "dev.tsv"), dev.join("\n") + "\n");
  const run = (...extra: string[]) =>
    train(
      join(out, "run"),
      ...flags("--model tiny-albert-spm --task glue/rte --epochs 1 --batch-size 8"),
      ...["--data", join(out, "data"), "--tokenizer", join(DATA, "vocab/albert-base-v2")],
      ...extra,
    );
  const first = (await run()).runs[0];
  strictEqual(first.reused, false);
  strictEqual((await run()).runs[0].reused, true);
  // Every dev label flipped: the same trained weights now score 100 minus the accuracy.
  const flip = (line: string) =>
    line.replace(
      /\t(not_entailment|entailment)$/,
      (_, label) => `\t${label === "entailment" ? "not_entailment" : "entailment"}`,
    );
  Deno.writeTextFileSync(
    join(rte, "dev.tsv"),
    [dev[0], ...dev.slice(1).map(flip)].join("\n") + "\n",
  );
  const flipped = (await run()).runs[0];
  strictEqual(flipped.reused, false);
  strictEqual(
    flipped.tasks[0].best.metrics.accuracy,
    100 - first.tasks[0].best.metrics.accuracy,
  );
  // The dev split is not part of what a resume point must match: --resume may go on with
  // another --eval-limit (the helper asserts exit 0).
  strictEqual((await run("--resume", "--eval-limit", "4")).runs[0].reused, false);
});

tempDirTest(
  "train --tasks trains PALs on several tasks; each task's kept checkpoint evals to its dev score",
  async (out) => {
    const common = flags("--model tiny-bert-wordpiece --limit 32 --eval-limit 24");
    const outcome = await train(
      out,
      ...common,
      ...flags("--tasks glue/rte,glue/stsb --adapter pals --hidden-size-aug 12"),
      ...flags(
        "--schedule proportional --steps-per-epoch 3 --epochs 2 --batch-size 16 --lr 1e-3",
      ),
    );
    const run = outcome.runs[0];
    strictEqual(run.steps, 6);
    strictEqual(run.adapter, "pals");
    deepStrictEqual(run.tasks.map((t: { task: string }) => t.task), ["glue/rte", "glue/stsb"]);
    ok(run.multiplier > 1, `PALs add parameters: multiplier ${run.multiplier}`);
    strictEqual(outcome.summary.at(-1).task, "average");
    // Task 1 (STS-B) is served by head 1 of the multi-task checkpoint.
    const stsb = run.tasks[1];
    deepStrictEqual(
      await evalMetrics(
        out,
        stsb.checkpoint,
        ...flags("--task glue/stsb --task-index 1 --limit 24"),
      ),
      stsb.best.metrics,
    );
    // Without --adapter, --tasks on a multi-task checkpoint continues with its own PALs
    // and heads; --adapter none makes the shared-backbone baseline from it instead.
    for (const [extra, kept] of [[[], "pals"], [["--adapter", "none"], "none"]] as const) {
      const again = await train(
        join(out, `again-${kept}`),
        ...flags("--model"),
        stsb.checkpoint,
        ...flags("--tasks glue/rte,glue/stsb --limit 16 --eval-limit 8 --epochs 1"),
        ...flags("--steps-per-epoch 1 --batch-size 8 --lr 1e-3"),
        ...extra,
      );
      strictEqual(again.runs[0].adapter, kept);
    }

    const squad = await cli("train", ...common, "--tasks", "glue/rte,squad/v1.1");
    strictEqual(squad.code, 1);
    match(squad.stderr, /squad\/v1\.1/);
    const albertPals = await cli(
      "train",
      ...flags("--model tiny-albert-spm --tasks glue/rte,glue/wnli --adapter pals"),
    );
    strictEqual(albertPals.code, 1);
    match(albertPals.stderr, /--adapter pals needs a BERT backbone/);
    const schedule = await cli("train", ...common, "--tasks", "glue/rte", "--schedule", "x");
    strictEqual(schedule.code, 2);
    match(schedule.stderr, /--schedule" must be one of round-robin/);
  },
);

tempDirTest(
  "train on RACE batches whole questions and keeps a checkpoint eval reloads",
  async (out) => {
    const common = flags("--task race --max-seq-length 64 --limit 8");
    const outcome = await train(
      out,
      ...flags("--model tiny-albert-spm --eval-limit 8 --epochs 1 --batch-size 4 --lr 1e-3"),
      ...common,
    );
    const run = outcome.runs[0];
    strictEqual(run.steps, 2, "8 questions in batches of 4 questions");
    deepStrictEqual(
      await evalMetrics(out, run.tasks[0].checkpoint, ...common),
      run.tasks[0].best.metrics,
    );
  },
);
