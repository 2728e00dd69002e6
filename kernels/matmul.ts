/**
 * Linear layer GEMM: `C[m, n] = act(A[m, :] · W[n, :] + bias[n] (+ R[m, n]))`.
 *
 * Shapes: A is `[M, K]` with row stride `lda` (so the pooler can read the CLS
 * row of each sequence in place), W is the PyTorch `[N, K]` weight, C and R
 * are `[M, ldc]` starting at column `n0` of a chunk.
 *
 * Weights are re-laid out once at upload as `[K, N]` so each thread reads
 * vec4 runs of 4 output columns; each thread keeps a 4×8 register block of C
 * and reads A as vec4 along K when the layout allows. Weights larger than the
 * device's binding limit are split into column chunks, one dispatch each.
 */
import { ACTIVATION_WGSL, type Activation, applyActivation } from "./activation.ts";
import type { Dispatch, KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

/** Rows and columns of C computed by one thread. */
const TILE_M = 4;
const TILE_N = 8;
/** Threads per workgroup along N and M. */
const THREADS_N = 8;
const THREADS_M = 8;
const BLOCK_M = TILE_M * THREADS_M;
const BLOCK_N = TILE_N * THREADS_N;

/** A Linear layer's weight on the device, in the kernel's layout. */
export interface PreparedLinear {
  inFeatures: number;
  outFeatures: number;
  /** `[K, n]` column chunks of the transposed weight, each within the binding limit. */
  chunks: { buffer: GPUBuffer; n0: number; n: number }[];
  bias: GPUBuffer;
}

/** Raised when a tensor cannot fit in one buffer binding of this device. */
export class BufferLimitError extends Error {
  override name = "BufferLimitError";
}

/** Upload a PyTorch `[N, K]` weight and `[N]` bias in the kernel's layout. */
export function prepareLinear(
  device: GPUDevice,
  args: { weight: Float32Array; bias: Float32Array; outFeatures: number; inFeatures: number; label: string },
): PreparedLinear {
  const { weight, bias, outFeatures: N, inFeatures: K, label } = args;
  const limit = device.limits.maxStorageBufferBindingSize;
  // Chunks are whole multiples of a workgroup block so a dispatch never straddles two.
  const columnsPerChunk = Math.floor(limit / (K * 4) / BLOCK_N) * BLOCK_N;
  if (columnsPerChunk === 0) {
    throw new BufferLimitError(
      `Tensor "${label}" [${N}, ${K}] does not fit this device: one column block needs ${
        K * 4 * BLOCK_N
      } bytes, the device allows ${limit} per binding`,
    );
  }
  const chunks: PreparedLinear["chunks"] = [];
  for (let n0 = 0; n0 < N; n0 += columnsPerChunk) {
    const n = Math.min(columnsPerChunk, N - n0);
    const stride = Math.ceil(n / 4) * 4;
    const transposed = new Float32Array(K * stride);
    for (let j = 0; j < n; j++) {
      const row = (n0 + j) * K;
      for (let k = 0; k < K; k++) transposed[k * stride + j] = weight[row + k];
    }
    chunks.push({ buffer: upload(device, transposed, `${label}[${n0}:]`), n0, n });
  }
  return { inFeatures: K, outFeatures: N, chunks, bias: upload(device, bias, `${label}.bias`) };
}

function upload(device: GPUDevice, data: Float32Array, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Float32Array(buffer.getMappedRange(), 0, data.length).set(data);
  buffer.unmap();
  return buffer;
}

/** Kernel variant: vec4 reads of A need K and lda to be multiples of 4. */
export function matmulKernel(
  options: { activation: Activation; residual: boolean; vectorA: boolean },
): KernelSpec {
  const { activation, residual, vectorA } = options;
  const storage: KernelSpec["storage"] = [
    { name: "a", element: vectorA ? "vec4<f32>" : "f32", access: "read" },
    { name: "w", element: "vec4<f32>", access: "read" },
    { name: "bias", element: "f32", access: "read" },
    { name: "c", element: "f32", access: "read_write" },
  ];
  if (residual) storage.push({ name: "r", element: "f32", access: "read" });
  const loadA = vectorA
    ? (row: string) => `a[(${row} * params.lda + k) / 4u]`
    : (row: string) =>
      `vec4f(a[${row} * params.lda + k], a[${row} * params.lda + k + 1u], a[${row} * params.lda + k + 2u], a[${row} * params.lda + k + 3u])`;
  return {
    name: "matmul",
    key: `matmul,act=${activation},res=${residual},va=${vectorA}`,
    storage,
    uniforms: [
      { name: "m", type: "u32" },
      { name: "n", type: "u32" },
      { name: "k", type: "u32" },
      { name: "lda", type: "u32" },
      { name: "ldc", type: "u32" },
      { name: "n0", type: "u32" },
      { name: "wStride4", type: "u32" },
    ],
    workgroupSize: THREADS_N * THREADS_M,
    body: `${ACTIVATION_WGSL}
@compute @workgroup_size(${THREADS_N}, ${THREADS_M})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * ${BLOCK_M}u + lid.y * ${TILE_M}u;
  let col4 = (wg.x * ${BLOCK_N}u + lid.x * ${TILE_N}u) / 4u;
  let lastRow = params.m - 1u;
  let lastCol4 = params.wStride4 - 1u;
  // Out-of-range rows and columns read a valid neighbour and are not stored.
  let r0 = min(row0, lastRow);
  let r1 = min(row0 + 1u, lastRow);
  let r2 = min(row0 + 2u, lastRow);
  let r3 = min(row0 + 3u, lastRow);
  let c0 = min(col4, lastCol4);
  let c1 = min(col4 + 1u, lastCol4);
  var acc: array<vec4f, 8>;
  let kMain = params.k & ~3u;
  var k = 0u;
  for (; k < kMain; k += 4u) {
    let a0 = ${loadA("r0")};
    let a1 = ${loadA("r1")};
    let a2 = ${loadA("r2")};
    let a3 = ${loadA("r3")};
    for (var kk = 0u; kk < 4u; kk++) {
      let wRow = (k + kk) * params.wStride4;
      let w0 = w[wRow + c0];
      let w1 = w[wRow + c1];
      acc[0] += a0[kk] * w0; acc[1] += a0[kk] * w1;
      acc[2] += a1[kk] * w0; acc[3] += a1[kk] * w1;
      acc[4] += a2[kk] * w0; acc[5] += a2[kk] * w1;
      acc[6] += a3[kk] * w0; acc[7] += a3[kk] * w1;
    }
  }
  ${
      vectorA ? "" : `for (; k < params.k; k++) {
    let wRow = k * params.wStride4;
    let w0 = w[wRow + c0];
    let w1 = w[wRow + c1];
    acc[0] += a[r0 * params.lda + k] * w0; acc[1] += a[r0 * params.lda + k] * w1;
    acc[2] += a[r1 * params.lda + k] * w0; acc[3] += a[r1 * params.lda + k] * w1;
    acc[4] += a[r2 * params.lda + k] * w0; acc[5] += a[r2 * params.lda + k] * w1;
    acc[6] += a[r3 * params.lda + k] * w0; acc[7] += a[r3 * params.lda + k] * w1;
  }`
    }
  for (var i = 0u; i < ${TILE_M}u; i++) {
    let row = row0 + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < ${TILE_N}u; j++) {
      let col = col4 * 4u + j;
      if (col >= params.n) { break; }
      let outCol = params.n0 + col;
      let index = row * params.ldc + outCol;
      var v = acc[i * 2u + j / 4u][j % 4u] + bias[outCol];
      ${residual ? "v += r[index];" : ""}
      c[index] = ${applyActivation(activation, "v")};
    }
  }
}
`,
  };
}

/** Arguments of one linear layer application. */
export interface MatmulArgs {
  linear: PreparedLinear;
  a: GPUBuffer;
  c: GPUBuffer;
  /** Rows of A and C. */
  m: number;
  /** Row stride of A in elements (default K). */
  lda?: number;
  /** Row stride of C and R in elements (default N). */
  ldc?: number;
  activation?: Activation;
  /** Optional residual added before the activation, laid out like C. */
  residual?: GPUBuffer;
}

/** Record `C = act(A·Wᵀ + b (+ R))`: one dispatch per weight chunk. */
export async function dispatchMatmul(runtime: KernelRuntime, args: MatmulArgs): Promise<Dispatch[]> {
  const { linear, m } = args;
  const k = linear.inFeatures;
  const lda = args.lda ?? k;
  const ldc = args.ldc ?? linear.outFeatures;
  const spec = matmulKernel({
    activation: args.activation ?? "none",
    residual: args.residual !== undefined,
    vectorA: k % 4 === 0 && lda % 4 === 0,
  });
  const dispatches: Dispatch[] = [];
  for (const chunk of linear.chunks) {
    const buffers = [args.a, chunk.buffer, linear.bias, args.c];
    if (args.residual) buffers.push(args.residual);
    dispatches.push(
      await runtime.dispatch(
        spec,
        buffers,
        [m, chunk.n, k, lda, ldc, chunk.n0, Math.ceil(chunk.n / 4)],
        [Math.ceil(chunk.n / BLOCK_N), Math.ceil(m / BLOCK_M), 1],
      ),
    );
  }
  return dispatches;
}
