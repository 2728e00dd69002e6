/**
 * General GEMM for training: `C = op(A)·op(B) (+ bias) (+ C)`, where `op`
 * optionally transposes. Training needs all three products of a Linear
 * layer on weights that change every step, so weights stay in PyTorch
 * `[out, in]` layout and the transposes are index arithmetic:
 *
 *   forward   Z  = X·Wᵀ (+ b)      A = X [M,K],  B = W [N,K] transposed
 *   input     dX = dZ·W            A = dZ [M,N], B = W [N,K]
 *   weight    dW += dZᵀ·X          A = dZ transposed, B = X, accumulating
 *
 * Every operand has an element offset and a leading dimension, so Q, K and V
 * write column slices of one `[rows, 3W]` buffer and the pooler reads the
 * CLS row of each sequence in place. Design: 64×64 output tiles per
 * workgroup of 16×16 invocations, each holding a 4×4 register block; each
 * step stages a 16-deep slice of A and B in workgroup memory (zero-padded
 * at the edges), so every element loaded from storage feeds 64 FMAs.
 */
import type { Dispatch, KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

const TILE = 64;
const DEPTH = 16;

/** Kernel variant: operand transposes, bias and accumulation are compiled in. */
export function gemmKernel(
  options: { transA: boolean; transB: boolean; bias: boolean; accumulate: boolean },
): KernelSpec {
  const { transA, transB, bias, accumulate } = options;
  const storage: KernelSpec["storage"] = [
    { name: "a", element: "f32", access: "read" },
    { name: "b", element: "f32", access: "read" },
    { name: "c", element: "f32", access: "read_write" },
  ];
  if (bias) storage.push({ name: "bias", element: "f32", access: "read" });
  const aIndex = transA ? "params.aOff + k * params.lda + i" : "params.aOff + i * params.lda + k";
  const bIndex = transB ? "params.bOff + j * params.ldb + k" : "params.bOff + k * params.ldb + j";
  return {
    name: "gemm",
    key: `gemm,ta=${transA},tb=${transB},bias=${bias},acc=${accumulate}`,
    storage,
    uniforms: [
      { name: "m", type: "u32" },
      { name: "n", type: "u32" },
      { name: "k", type: "u32" },
      { name: "lda", type: "u32" },
      { name: "ldb", type: "u32" },
      { name: "ldc", type: "u32" },
      { name: "aOff", type: "u32" },
      { name: "bOff", type: "u32" },
      { name: "cOff", type: "u32" },
    ],
    workgroupSize: 256,
    body: /* wgsl */ `
var<workgroup> tileA: array<f32, ${DEPTH * TILE}>;
var<workgroup> tileB: array<f32, ${DEPTH * TILE}>;

fn loadA(i: u32, k: u32) -> f32 {
  if (i >= params.m || k >= params.k) { return 0.0; }
  return a[${aIndex}];
}
fn loadB(k: u32, j: u32) -> f32 {
  if (j >= params.n || k >= params.k) { return 0.0; }
  return b[${bIndex}];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let tr = (lid / 16u) * 4u;
  let tc = (lid % 16u) * 4u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < params.k; k0 += ${DEPTH}u) {
    // 1024 elements of each tile, four per invocation; tiles are stored k-major.
    for (var e = lid; e < ${DEPTH * TILE}u; e += WORKGROUP_SIZE) {
      let kk = e / ${TILE}u;
      let x = e % ${TILE}u;
      tileA[e] = loadA(row0 + x, k0 + kk);
      tileB[e] = loadB(k0 + kk, col0 + x);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${DEPTH}u; kk++) {
      let base = kk * ${TILE}u;
      let bv = vec4f(tileB[base + tc], tileB[base + tc + 1u], tileB[base + tc + 2u], tileB[base + tc + 3u]);
      acc[0] = fma(vec4f(tileA[base + tr]), bv, acc[0]);
      acc[1] = fma(vec4f(tileA[base + tr + 1u]), bv, acc[1]);
      acc[2] = fma(vec4f(tileA[base + tr + 2u]), bv, acc[2]);
      acc[3] = fma(vec4f(tileA[base + tr + 3u]), bv, acc[3]);
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + tr + r;
    if (i >= params.m) { break; }
    for (var q = 0u; q < 4u; q++) {
      let j = col0 + tc + q;
      if (j >= params.n) { break; }
      let index = params.cOff + i * params.ldc + j;
      var v = acc[r][q];
      ${bias ? "v += bias[j];" : ""}
      ${accumulate ? "v += c[index];" : ""}
      c[index] = v;
    }
  }
}
`,
  };
}

/** One operand: a buffer, an element offset and a leading dimension. */
export interface GemmOperand {
  buffer: GPUBuffer;
  offset?: number;
  /** Elements between consecutive rows as stored (default: the stored row length). */
  ld?: number;
  /** Read the stored matrix transposed. */
  transpose?: boolean;
}

/**
 * Record `C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]) (+ C)`.
 * A stored as `[m, k]` (or `[k, m]` transposed), B as `[k, n]` (or `[n, k]`).
 */
export function dispatchGemm(
  runtime: KernelRuntime,
  args: {
    a: GemmOperand;
    b: GemmOperand;
    c: { buffer: GPUBuffer; offset?: number; ld?: number };
    m: number;
    n: number;
    k: number;
    bias?: GPUBuffer;
    accumulate?: boolean;
  },
): Promise<Dispatch> {
  const { a, b, c, m, n, k } = args;
  const transA = a.transpose ?? false, transB = b.transpose ?? false;
  const spec = gemmKernel({
    transA,
    transB,
    bias: args.bias !== undefined,
    accumulate: args.accumulate ?? false,
  });
  const buffers = [a.buffer, b.buffer, c.buffer];
  if (args.bias) buffers.push(args.bias);
  return runtime.dispatch(
    spec,
    buffers,
    [
      m,
      n,
      k,
      a.ld ?? (transA ? m : k),
      b.ld ?? (transB ? k : n),
      c.ld ?? n,
      a.offset ?? 0,
      b.offset ?? 0,
      c.offset ?? 0,
    ],
    [Math.ceil(n / TILE), Math.ceil(m / TILE), 1],
  );
}
