/**
 * Embeddings for training. The forward gathers and sums
 * `word[ids] + position[t] + tokenType[types]` (LayerNorm follows as its own
 * op so its backward is shared); the backward adds each row's gradient into
 * the table rows it read. WGSL has no float atomics, so the scatter is
 * turned into a gather: the CPU, which has the ids anyway, groups the batch
 * rows by table row (`embeddingGroups`), and one workgroup sums each group's
 * rows and adds the sum into its table row. Deterministic, and each table row
 * is written by exactly one workgroup.
 */
import { EMBEDDING_SUM, EMBEDDING_TABLES } from "./embeddings.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/** The gather-sum kernel; `dtype` is the output's (the tables stay f32). */
export function embeddingsSumKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "embeddings_sum",
    key: `embeddings_sum`,
    dtype,
    storage: [...EMBEDDING_TABLES, { name: "out", element: "act_t", access: "read_write" }],
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "seqLen", type: "u32" },
      { name: "size", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= params.rows) { return; }
  let t = row % params.seqLen;
  let base = row * params.size;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    out[base + i] = act_t(${EMBEDDING_SUM});
  }
}
`,
  };
}

/**
 * Grouping of batch rows by table row, packed for the scatter kernel:
 * `[count, target × capacity, start × (capacity + 1), rows × capacity]`.
 */
export function embeddingGroups(
  keys: ArrayLike<number>,
  capacity: number,
): Uint32Array<ArrayBuffer> {
  const byKey = new Map<number, number[]>();
  for (let r = 0; r < keys.length; r++) {
    const list = byKey.get(keys[r]);
    if (list) list.push(r);
    else byKey.set(keys[r], [r]);
  }
  const packed = new Uint32Array(groupsSize(capacity));
  packed[0] = byKey.size;
  let u = 0, cursor = 0;
  const startAt = 1 + capacity, rowsAt = 2 + 2 * capacity;
  for (const [key, rows] of byKey) {
    packed[1 + u] = key;
    packed[startAt + u] = cursor;
    for (const r of rows) packed[rowsAt + cursor++] = r;
    u++;
  }
  packed[startAt + u] = cursor;
  return packed;
}

/** u32 words of a packed grouping for `capacity` batch rows. */
export function groupsSize(capacity: number): number {
  return 2 + 3 * capacity;
}

/** `table[target] += Σ_{r in group} d[r]`, one workgroup per group; `dtype` is `d`'s. */
export function embeddingsScatterKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "embeddings_scatter",
    key: `embeddings_scatter`,
    dtype,
    storage: [
      { name: "groups", element: "u32", access: "read" },
      { name: "d", element: "act_t", access: "read" },
      { name: "table", element: "f32", access: "read_write" },
    ],
    uniforms: [
      { name: "capacity", type: "u32" },
      { name: "size", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let u = wg.x + wg.y * nwg.x;
  if (u >= groups[0]) { return; }
  let dst = groups[1u + u];
  let startAt = 1u + params.capacity;
  let rowsAt = 2u + 2u * params.capacity;
  let first = groups[startAt + u];
  let last = groups[startAt + u + 1u];
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    var s = 0.0;
    for (var k = first; k < last; k++) { s += f32(d[groups[rowsAt + k] * params.size + i]); }
    table[dst * params.size + i] += s;
  }
}
`,
  };
}

/** Record the forward gather-sum of `rows` tokens into `out [rows, size]`. */
export function dispatchEmbeddingsSum(
  runtime: KernelRuntime,
  args: {
    ids: GPUBuffer;
    types: GPUBuffer;
    word: GPUBuffer;
    position: GPUBuffer;
    tokenType: GPUBuffer;
    out: GPUBuffer;
    rows: number;
    seqLen: number;
    size: number;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    embeddingsSumKernel(args.dtype),
    [args.ids, args.types, args.word, args.position, args.tokenType, args.out],
    [args.rows, args.seqLen, args.size],
    grid1d(args.rows),
  );
}

/** Record `table += scatter(d)` for a packed grouping of `capacity` rows. */
export function dispatchEmbeddingsScatter(
  runtime: KernelRuntime,
  args: {
    groups: GPUBuffer;
    d: GPUBuffer;
    table: GPUBuffer;
    capacity: number;
    size: number;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    embeddingsScatterKernel(args.dtype),
    [args.groups, args.d, args.table],
    [args.capacity, args.size],
    grid1d(args.capacity),
  );
}
