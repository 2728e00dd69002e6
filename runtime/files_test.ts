import { strictEqual } from "node:assert/strict";
import { pathSlug, slug } from "./files.ts";

Deno.test("pathSlug keeps every path component, so checkpoints called best stay apart", () => {
  strictEqual(pathSlug("runs/sst2/seed-0/best"), "runs-sst2-seed-0-best");
  strictEqual(pathSlug("runs/sst2/seed-1/best/"), "runs-sst2-seed-1-best");
  strictEqual(pathSlug("./ckpt"), "ckpt");
  strictEqual(pathSlug("/tmp/x y/best"), "tmp-x-y-best");
  strictEqual(
    pathSlug("benchmarks/configs/albert-sst2-scratch.json"),
    "benchmarks-configs-albert-sst2-scratch.json",
  );
  strictEqual(pathSlug("tiny-albert-spm"), "tiny-albert-spm");
  // slug keeps the last component only (task names: glue/rte -> rte).
  strictEqual(slug("glue/rte"), "rte");
});
