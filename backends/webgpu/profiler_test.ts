/**
 * The forward-pass profiler on tiny models: it counts exactly the dispatches
 * the engine issues (worked out here from the config, layer by layer), names
 * every kernel, and its GPU times are positive and fit inside the pass's
 * wall time. Profiling must not change the outputs.
 */
import assert from "node:assert/strict";
import { configToJson, type ModelConfig, parseConfig } from "../../models/config.ts";
import type { Model } from "../../models/model.ts";
import { zooEntry } from "../../models/zoo.ts";
import { gpuTest } from "../../tests/_gpu.ts";
import { randomBatch, unitScaleModel } from "../../tests/_reference_forward.ts";
import { createWebGpuBackend } from "./engine.ts";
import { createProfiler, type PassProfile, summarizePasses } from "./profiler.ts";

/**
 * Dispatches per forward pass by kernel name, from the config alone: the
 * embeddings (LayerNorm fused), ALBERT's E→H projection, per layer a fused
 * Q/K/V GEMM, attention, the attention output GEMM and its LayerNorm, the FFN
 * GEMM with its activation fused, the FFN output GEMM and its LayerNorm; per
 * PAL layer an encoder GEMM, Q/K/V GEMM, attention and a decoder GEMM with
 * GELU; the pooler GEMM with tanh and one head GEMM. Tiny weights fit one
 * binding, so every GEMM is one dispatch.
 */
function expectedKernels(config: ModelConfig): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string, n = 1) => counts.set(name, (counts.get(name) ?? 0) + n);
  const L = config.numHiddenLayers;
  add("embeddings");
  if (config.modelType === "albert") add("matmul");
  add("matmul", 3 * L);
  add("attention", L);
  add("layernorm", 2 * L);
  add(`matmul+${config.hiddenAct}`, L);
  const adapter = config.adapter;
  if (adapter) {
    assert.equal(adapter.kind, "pals", "this count covers PAL adapters only");
    const adapted = adapter.layers === "all" ? L : Math.floor(L / 2);
    add("matmul", 2 * adapted);
    add("attention", adapted);
    add("matmul+gelu", adapted);
  }
  add("matmul+tanh");
  if (config.head.kind !== "none") add("matmul");
  return counts;
}

function tinyModel(name: string, overrides: Record<string, unknown> = {}): Model {
  const config = parseConfig({ ...configToJson(zooEntry(name).config), ...overrides }, name);
  return unitScaleModel(config, 99);
}

/** Per-kernel dispatch counts of one profiled pass. */
function countsOf(pass: PassProfile): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of pass.timings) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  return counts;
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

for (
  const [label, model, task] of [
    [
      "tiny ALBERT classifier",
      tinyModel("tiny-albert", {
        architectures: ["AlbertForSequenceClassification"],
        num_labels: 3,
      }),
      0,
    ],
    ["tiny BERT with PALs, task 1", tinyModel("tiny-bert-pals"), 1],
  ] as const
) {
  gpuTest(`profiler counts and times every dispatch: ${label}`, async (gpu) => {
    const input = randomBatch(model, { lengths: [8, 5], seqLen: 8, task });
    const profiler = createProfiler(gpu);
    const profiled = await createWebGpuBackend(model, { gpu, profiler });
    const plain = await createWebGpuBackend(model, { gpu });
    try {
      await profiled.run(input); // warm-up: builds the plan of this shape
      profiler.reset();
      const start = performance.now();
      const outputs = await profiled.run(input);
      const runMs = performance.now() - start;

      assert.equal(profiler.passes.length, 1);
      const [pass] = profiler.passes;
      const expected = expectedKernels(model.config);
      const total = [...expected.values()].reduce((a, b) => a + b, 0);
      assert.equal(pass.dispatches, total);
      assert.equal(pass.dispatches, await profiled.dispatchCount(2, 8, task));
      assert.deepEqual(sorted(countsOf(pass)), sorted(expected));
      assert.equal(pass.submits, 1);
      assert.equal(pass.writes, 3);
      assert.ok(pass.wallMs > 0 && pass.wallMs <= runMs);

      const summary = profiler.summary();
      assert.equal(summary.dispatches, total);
      assert.equal(summary.timestamps, gpu.hasTimestamps);
      if (gpu.hasTimestamps) {
        for (const t of pass.timings) assert.ok(t.ns! > 0, `${t.name} took ${t.ns} ns`);
        const gpuNs = pass.timings.reduce((s, t) => s + t.ns!, 0);
        assert.ok(gpuNs <= pass.spanNs!, `dispatches ${gpuNs} ns, span ${pass.spanNs} ns`);
        assert.ok(
          pass.spanNs! <= pass.wallMs * 1e6,
          `span ${pass.spanNs} ns, wall ${pass.wallMs} ms`,
        );
        assert.ok(summary.gpuMs! > 0 && summary.gpuMs! <= summary.wallMs);
        const ms = summary.kernels.map((k) => k.ms!);
        assert.deepEqual(ms, [...ms].sort((a, b) => b - a), "kernels sorted by time");
      } else {
        assert.ok(summary.kernels.every((k) => k.ms === null));
        assert.equal(summary.gpuMs, null);
      }

      // One compute pass per dispatch must compute the same thing as the engine's single pass.
      const reference = await plain.run(input);
      for (const name of ["lastHiddenState", "pooledOutput", "logits"] as const) {
        assert.deepEqual(outputs[name], reference[name], name);
      }
    } finally {
      profiled.dispose();
      plain.dispose();
      profiler.destroy();
    }
  });
}

gpuTest("profiler without timestamps counts dispatches and reports no times", async (gpu) => {
  const model = tinyModel("tiny-albert");
  const profiler = createProfiler(gpu, { timestamps: false });
  const backend = await createWebGpuBackend(model, { gpu, profiler });
  try {
    const input = randomBatch(model, { lengths: [4], seqLen: 4 });
    await backend.run(input);
    await backend.run(input);
    const summary = profiler.summary();
    assert.equal(summary.passes, 2);
    assert.equal(summary.timestamps, false);
    assert.equal(summary.gpuMs, null);
    const expected = expectedKernels(model.config);
    assert.equal(summary.dispatches, [...expected.values()].reduce((a, b) => a + b, 0));
    const byCount = [...expected].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1));
    assert.deepEqual(
      summary.kernels.map((k) => [k.name, k.count, k.ms]),
      byCount.map(([name, count]) => [name, count, null]),
    );
  } finally {
    backend.dispose();
    profiler.destroy();
  }
});

Deno.test("summarizePasses averages per pass and sorts kernels by time", () => {
  const pass = (ns: [number, number, number]): PassProfile => ({
    dispatches: 3,
    copies: 1,
    submits: 1,
    writes: 3,
    wallMs: 1,
    timings: [
      { name: "matmul", ns: ns[0] },
      { name: "layernorm", ns: ns[1] },
      { name: "matmul", ns: ns[2] },
    ],
    spanNs: ns[0] + ns[1] + ns[2],
  });
  const summary = summarizePasses([pass([1e5, 4e5, 1e5]), pass([3e5, 6e5, 1e5])], true);
  assert.equal(summary.passes, 2);
  assert.equal(summary.dispatches, 3);
  assert.equal(summary.copies, 1);
  assert.deepEqual(summary.kernels, [
    { name: "layernorm", count: 1, ms: 0.5 },
    { name: "matmul", count: 2, ms: 0.3 },
  ]);
  assert.ok(Math.abs(summary.gpuMs! - 0.8) < 1e-12);
});
