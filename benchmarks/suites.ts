/**
 * Benchmark suites as data: which models run at which (batch, sequence
 * length), or which GEMM shapes are timed. `deno task bench --suite NAME`
 * picks one; `--models`, `--batch` and `--seq-len` override its fields.
 */
import { zoo } from "../models/zoo.ts";

/**
 * One GEMM `C[m,n] = A[m,k] · B[n,k]ᵀ`, the shape of a Linear layer applied to
 * m tokens with `[n, k]` PyTorch weights.
 */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** Where the shape occurs in a model. */
  label: string;
}

/** A GEMM shape's name as a unit of a bench run and its record: `MxNxK`. */
export function gemmUnit(shape: { m: number; n: number; k: number }): string {
  return `${shape.m}x${shape.n}x${shape.k}`;
}

/** A named set of benchmark runs. */
export interface BenchSuite {
  name: string;
  /** Zoo model names, timed in this order (empty for the GEMM suite). */
  models: string[];
  batch: number;
  seqLen: number;
  /** What the suite is for and why it has these shapes. */
  note: string;
  /** Model whose throughput is the speed-up column's 1.00× (ALBERT Table 2: BERT-large). */
  reference?: string;
  /** True when the suite needs a real GPU: on a CPU adapter it takes hours. */
  gpuSized: boolean;
  /** GEMM shapes to time instead of models. */
  gemm?: GemmShape[];
}

/** The suite `deno task bench` runs when none is named. */
export const DEFAULT_SUITE = "default";

/** The speed-up reference model of ALBERT Table 2. */
export const SPEEDUP_REFERENCE = "bert-large-uncased";

function suites(): BenchSuite[] {
  const paperModels = zoo()
    .filter((e) => e.family === "released" || e.family === "ablation" || e.family === "pals")
    .map((e) => e.name);
  return [
    {
      name: "default",
      models: [
        "albert-base-v2",
        "albert-large-v2",
        "bert-base-uncased",
        SPEEDUP_REFERENCE,
        "bert-base-pals",
      ],
      batch: 2,
      seqLen: 64,
      note: "Reduced shapes (batch 2, sequence 64) so a CPU adapter (llvmpipe, lavapipe) " +
        "finishes in minutes; speed-ups are relative to bert-large-uncased in the same run",
      reference: SPEEDUP_REFERENCE,
      gpuSized: false,
    },
    {
      name: "full",
      models: paperModels,
      batch: 8,
      seqLen: 512,
      note: "Every released, ablation and PALs model of the zoo at the papers' shapes " +
        "(batch 8, sequence 512); GPU-sized: expect hours on a CPU adapter",
      reference: SPEEDUP_REFERENCE,
      gpuSized: true,
    },
    {
      name: "ablation",
      models: zoo().filter((e) => e.family === "ablation").map((e) => e.name),
      batch: 2,
      seqLen: 64,
      note: "ALBERT Tables 3 and 4: ALBERT-base with E in {64, 128, 256, 768} under each " +
        "cross-layer sharing mode, at the default suite's reduced shapes (batch 2, sequence 64)",
      gpuSized: false,
    },
    {
      name: "gemm",
      models: [],
      batch: 8,
      seqLen: 128,
      note: "Matrix products of the encoders' Linear layers (m tokens × n outputs × k inputs); " +
        "m = batch × sequence length = 1024 tokens unless the shape says otherwise",
      gpuSized: false,
      gemm: [
        { m: 1024, n: 768, k: 768, label: "base Q/K/V and attention output" },
        { m: 1024, n: 3072, k: 768, label: "base FFN in" },
        { m: 1024, n: 768, k: 3072, label: "base FFN out" },
        { m: 4096, n: 768, k: 768, label: "base Q/K/V at 4096 tokens (batch 8 × 512)" },
        { m: 1024, n: 4096, k: 4096, label: "xxlarge Q/K/V and attention output" },
        { m: 4096, n: 4096, k: 4096, label: "xxlarge Q/K/V at 4096 tokens (batch 8 × 512)" },
      ],
    },
  ];
}

let cache: BenchSuite[] | undefined;

/** Every suite, in display order. */
export function benchSuites(): BenchSuite[] {
  return cache ??= suites();
}

/** Look up a suite by name; the error lists the known names. */
export function benchSuite(name: string): BenchSuite {
  const suite = benchSuites().find((s) => s.name === name);
  if (!suite) {
    throw new Error(
      `Unknown suite "${name}": known suites are ${benchSuites().map((s) => s.name).join(", ")}`,
    );
  }
  return suite;
}
