import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";

import { runCli } from "./tests/_cli.ts";

const cli = (...args: string[]) => runCli(args);

Deno.test("models --json gives the exact parameter counts", async () => {
  const { code, stdout } = await cli("models", "--json");
  strictEqual(code, 0);
  const rows = JSON.parse(stdout) as { name: string; params: number }[];
  const params = Object.fromEntries(rows.map((r) => [r.name, r.params]));
  deepStrictEqual(
    {
      "albert-base-v2": params["albert-base-v2"],
      "albert-large-v2": params["albert-large-v2"],
      "albert-xlarge-v2": params["albert-xlarge-v2"],
      "albert-xxlarge-v2": params["albert-xxlarge-v2"],
      "bert-base-uncased": params["bert-base-uncased"],
    },
    {
      "albert-base-v2": 11683584,
      "albert-large-v2": 17683968,
      "albert-xlarge-v2": 58724864,
      "albert-xxlarge-v2": 222595584,
      "bert-base-uncased": 109482240,
    },
  );
  ok(!("tiny-bert" in params), "tiny models are listed only with --all");
});

Deno.test("models prints a table with thousands separators and PAL multipliers", async () => {
  const { code, stdout } = await cli("models");
  strictEqual(code, 0);
  match(stdout, /albert-xxlarge-v2 .*222,595,584/);
  match(stdout, /bert-base-pals .*pals d=204 ×8 \(×1\.133\)/);
});

Deno.test("unknown command exits 2 with one error line", async () => {
  const { code, stdout, stderr } = await cli("frobnicate");
  strictEqual(code, 2);
  strictEqual(stdout, "");
  match(stderr, /^error: Unknown command "frobnicate": known commands are bench, /);
  strictEqual(stderr.trim().split("\n").length, 1);
});

Deno.test("unknown flag and missing or bad arguments exit 2", async () => {
  const flag = await cli("models", "--nope");
  strictEqual(flag.code, 2);
  match(flag.stderr, /^error: Unknown flag "--nope" for command "models"/);
  const shard = await cli("bench", "--shard", "4/3");
  strictEqual(shard.code, 2);
  match(shard.stderr, /^error: Flag "--shard" must be i\/n with 1 ≤ i ≤ n/);
  const merge = await cli("merge");
  strictEqual(merge.code, 2);
  match(merge.stderr, /^error: merge needs shard records/);
  const needs = await cli("eval");
  strictEqual(needs.code, 2);
  match(needs.stderr, /^error: eval needs --model/);
  const value = await cli("bench", "--reps", "0");
  strictEqual(value.code, 2);
  match(value.stderr, /^error: Flag "--reps" must be an integer of at least 1, got "0"/);
  // A negative number after a flag is its value, checked by the flag, not "ambiguous".
  const negative = await cli("bench", "--reps", "-3");
  strictEqual(negative.code, 2);
  match(negative.stderr, /^error: Flag "--reps" must be an integer of at least 1, got "-3"/);
  // Two names of one flag may both be given only when they agree.
  const alias = await cli("bench", "--runs", "1", "--reps", "abc");
  strictEqual(alias.code, 2);
  match(alias.stderr, /^error: Flags "--runs" and "--reps" are one flag; give one of them/);
  // After "--" everything is positional: "--records" and "-1" stay two arguments.
  const positional = await cli("merge", "--", "--records", "-1");
  strictEqual(positional.code, 1);
  match(positional.stderr, /^error: Cannot merge "--records": no such file or directory/);
  const gemm = await cli(
    "bench",
    "--suite",
    "gemm",
    "--models",
    "albert-base-v2",
    "--seq-len",
    "16",
  );
  strictEqual(gemm.code, 2);
  match(
    gemm.stderr,
    /^error: The gemm suite times fixed matrix shapes; --models, --seq-len do not/,
  );
});

Deno.test("bench checks every model's sequence length and config before measuring any", async () => {
  const long = await cli("bench", "--models", "albert-base-v2,tiny-albert", "--seq-len", "100");
  strictEqual(long.code, 2);
  strictEqual(long.stdout, "");
  strictEqual(
    long.stderr.trim(),
    'error: Flag "--seq-len" is 100, longer than model "tiny-albert" allows (max_position_embeddings 64)',
  );
  // Without --seq-len the suite's length is the one too long, and the message says so.
  const suite = await cli("bench", "--suite", "full", "--models", "tiny-albert");
  strictEqual(suite.code, 2);
  strictEqual(
    suite.stderr.trim(),
    'error: Suite "full" runs sequence length 512, longer than model "tiny-albert" allows ' +
      "(max_position_embeddings 64); pass --seq-len N",
  );
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/config.json`, "{");
    const broken = await cli("bench", "--models", `tiny-albert,${dir}`, "--out", dir);
    strictEqual(broken.code, 1);
    match(broken.stderr, /^error: Cannot parse ".*config\.json": /);
    // Nothing was measured, so no record or partial file was written.
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["config.json"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an unknown model is a usage error (exit 2) in bench, eval and train alike", async () => {
  for (
    const args of [
      ["bench", "--models", "albert-huge-v9"],
      ["eval", "--model", "albert-huge-v9", "--task", "glue/rte"],
      ["train", "--model", "albert-huge-v9", "--task", "glue/rte"],
    ]
  ) {
    const { code, stderr } = await cli(...args);
    strictEqual(code, 2, args.join(" "));
    match(stderr, /^error: Cannot resolve model "albert-huge-v9": it is neither a known model/);
  }
});

Deno.test("an output directory flag that names a file, or a path below one, exits 2 at once", async () => {
  const file = Deno.makeTempFileSync();
  try {
    for (
      const [args, flag, where] of [
        [["bench", "--models", "tiny-albert", "--out", file], "out", "it"],
        [
          ["eval", "--model", "tiny-albert", "--task", "glue/rte", "--records", `${file}/r`],
          "records",
          `"${file}"`,
        ],
        [
          ["train", "--model", "tiny-albert", "--task", "glue/rte", "--out", `${file}/a/b`],
          "out",
          `"${file}"`,
        ],
        [["report", "--out", file], "out", "it"],
      ] as const
    ) {
      const { code, stderr } = await cli(...args);
      strictEqual(code, 2, args.join(" "));
      strictEqual(
        stderr.trim(),
        `error: Flag "--${flag}" must name a directory to write into, but ${where} is not a directory: "${
          args.at(-1)
        }"`,
      );
    }
    // A directory no file can be made in (procfs, even for root) is refused before the work.
    const proc = await cli(
      "eval",
      "--model",
      "tiny-albert",
      "--task",
      "glue/rte",
      "--records",
      "/proc/r",
    );
    strictEqual(proc.code, 2);
    match(
      proc.stderr,
      /^error: Flag "--records" must name a directory to write into, but "\/proc" is not writable \(.+\): "\/proc\/r"\n$/,
    );
    // --log-samples names a file, so an existing directory is refused.
    const dir = await cli(
      "eval",
      "--model",
      "tiny-albert",
      "--task",
      "glue/rte",
      "--log-samples",
      "/tmp",
    );
    strictEqual(dir.code, 2);
    strictEqual(
      dir.stderr.trim(),
      `error: Flag "--log-samples" must name a file, but "/tmp" is a directory`,
    );
    // A dangling symbolic link cannot be made into a directory either.
    const link = `${file}.link`;
    Deno.symlinkSync(`${file}.gone`, link);
    try {
      const dangling = await cli("report", "--out", link);
      strictEqual(dangling.code, 2);
      match(dangling.stderr, /but it is a broken symbolic link: /);
    } finally {
      Deno.removeSync(link);
    }
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("--help lists every command", async () => {
  const { code, stdout } = await cli("--help");
  strictEqual(code, 0);
  const commands = [
    "bench",
    "eval",
    "score",
    "train",
    "models",
    "tasks",
    "report",
    "gate",
    "merge",
  ];
  for (const name of commands) match(stdout, new RegExp(`^ {2}${name} `, "m"));
});

Deno.test("--version prints deno.json's name and version, the git commit and Deno's version", async () => {
  const project = JSON.parse(await Deno.readTextFile(new URL("./deno.json", import.meta.url)));
  const { code, stdout } = await cli("--version");
  strictEqual(code, 0);
  const [first, second] = stdout.trim().split("\n");
  ok(first.startsWith(`${project.name} ${project.version} (`), first);
  const git = new Deno.Command("git", {
    args: ["rev-parse", "HEAD"],
    cwd: new URL(".", import.meta.url),
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  // A clone has a commit; a copy of the sources without .git says so instead.
  if (git.success) {
    ok(first.includes(`commit ${new TextDecoder().decode(git.stdout).trim().slice(0, 12)}`), first);
  } else ok(first.includes("no git checkout"), first);
  strictEqual(second.split(",")[0], `deno ${Deno.version.deno}`);
  strictEqual((await cli("-V")).stdout, stdout);
});
