/**
 * Embedding gather + sum + LayerNorm in one kernel:
 * `out[b, t] = LN(word[ids[b, t]] + position[t] + tokenType[types[b, t]])`.
 * Position ids are `0..T-1` for every sequence, as in Hugging Face's default.
 * One workgroup per token; ids are validated on the CPU before upload.
 */
import { LAYER_NORM_ROW_WGSL, workgroupSumWgsl } from "./_reduce.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/** Bindings of the token ids, token types and the three tables (also the training kernel's). */
export const EMBEDDING_TABLES: KernelSpec["storage"] = [
  { name: "ids", element: "u32", access: "read" },
  { name: "types", element: "u32", access: "read" },
  { name: "word", element: "f32", access: "read" },
  { name: "position", element: "f32", access: "read" },
  { name: "tokenType", element: "f32", access: "read" },
];

/** WGSL sum of element `i` of token `row` at position `t` over the three tables. */
export const EMBEDDING_SUM = "word[ids[row] * params.size + i] + position[t * params.size + i] + " +
  "tokenType[types[row] * params.size + i]";

/** The embeddings kernel; `dtype` is the output's (the tables stay f32). */
export function embeddingsKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "embeddings",
    key: `embeddings`,
    dtype,
    storage: [
      ...EMBEDDING_TABLES,
      { name: "gamma", element: "f32", access: "read" },
      { name: "beta", element: "f32", access: "read" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "seqLen", type: "u32" },
      { name: "size", type: "u32" },
      { name: "eps", type: "f32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${workgroupSumWgsl(WORKGROUP)}${LAYER_NORM_ROW_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= params.rows) { return; }
  layer_norm_row(row * params.size, lid);
}

fn ln_input(base: u32, i: u32) -> f32 {
  let row = base / params.size;
  let t = row % params.seqLen;
  return ${EMBEDDING_SUM};
}
`,
  };
}

/** Record the embeddings of `rows = batch × seqLen` tokens into `out [rows, size]`. */
export function dispatchEmbeddings(
  runtime: KernelRuntime,
  args: {
    ids: GPUBuffer;
    types: GPUBuffer;
    word: GPUBuffer;
    position: GPUBuffer;
    tokenType: GPUBuffer;
    gamma: GPUBuffer;
    beta: GPUBuffer;
    out: GPUBuffer;
    rows: number;
    seqLen: number;
    size: number;
    eps: number;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    embeddingsKernel(args.dtype),
    [
      args.ids,
      args.types,
      args.word,
      args.position,
      args.tokenType,
      args.gamma,
      args.beta,
      args.out,
    ],
    [args.rows, args.seqLen, args.size, args.eps],
    grid1d(args.rows),
  );
}
