/**
 * Masked multi-head self-attention for training: the forward stores the
 * attention probabilities `P [B, heads, T, T]` for the backward, and applies
 * attention-probability dropout (mask regenerated from the RNG, never
 * stored). With `s = scale·q·kᵀ`, `P = softmax(s)` over unmasked keys,
 * `P' = dropout(P)` and `ctx = P'·v`:
 *
 *   dP' = dctx·vᵀ,  dP = dropout(dP'),  dS = P ⊙ (dP − Σ_j P·dP)
 *   dq = scale·dS·k,  dk = scale·dSᵀ·q,  dv = P'ᵀ·dctx
 *
 * Three kernels: the forward and the row pass (query side, which also stores
 * dS) loop over keys; the column pass (key side) loops over queries. Q, K
 * and V and their gradients live side by side in `[B·T, 3W]` buffers as in
 * the inference kernel.
 *
 * Design (llvmpipe, as `attention.ts`): one invocation owns `ROWS` queries
 * (or, in the column pass, keys) of one (batch, head), so each row of K, V,
 * Q or dctx it loads serves all of them; the head dimension is unrolled at
 * compile time so rows and accumulators are registers rather than
 * dynamically indexed arrays (a gather and a scatter per access there); rows
 * are read 4 values at a time when d is a multiple of 4. The forward's
 * softmax is online, with the scores stored on the way and normalised in one
 * pass at the end. A first version with one query per invocation and
 * `array<f32, D>` accumulators took 25% of an ALBERT-base training step on
 * llvmpipe (batch 2 × 64: 581 of 2,338 ms).
 */
import { DROPOUT_WGSL, dropoutThreshold } from "./dropout.ts";
import { rowElement, rowLoaderWgsl } from "./attention.ts";
import { upTo } from "./_block.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 32;
/** Queries (forward, row pass) or keys (column pass) per invocation. */
const ROWS = 4;

const UNIFORMS: KernelSpec["uniforms"] = [
  { name: "count", type: "u32" },
  { name: "seqLen", type: "u32" },
  { name: "heads", type: "u32" },
  { name: "width", type: "u32" },
  { name: "scale", type: "f32" },
  { name: "site", type: "u32" },
  { name: "threshold", type: "u32" },
  { name: "dropScale", type: "f32" },
];

/** The rows of a head's vectors and how a kernel reads and writes them. */
interface HeadLayout {
  /** Chunk indices of a row: vec4s when d is a multiple of 4, else scalars. */
  chunks: number[];
  vector: boolean;
  zero: string;
  /** WGSL reading chunk `c` of the row at element offset `base` of `buffer`. */
  load: (buffer: string, base: string, c: number) => string;
  /** WGSL storing chunk value `value` (f32) at element offset `base` of `buffer`. */
  store: (buffer: string, base: string, c: number, value: string) => string;
  /** Element type of a bound activation that is read (`qkv`, `dout`). */
  element: string;
  dot: (a: string, b: string) => string;
}

function headLayout(headSize: number, dtype: Dtype): HeadLayout {
  const vector = headSize % 4 === 0;
  const chunks = upTo(vector ? headSize / 4 : headSize);
  if (!vector) {
    return {
      chunks,
      vector,
      zero: "0.0",
      load: (buffer, base, c) => `f32(${buffer}[${base} + ${c}u])`,
      store: (buffer, base, c, value) => `${buffer}[${base} + ${c}u] = act_t(${value});`,
      element: "act_t",
      dot: (a, b) => `${a} * ${b}`,
    };
  }
  return {
    chunks,
    vector,
    zero: "vec4f(0.0)",
    load: (buffer, base, c) => `ld_${buffer}((${base}) / 4u + ${c}u)`,
    store: (buffer, base, c, value) =>
      [0, 1, 2, 3].map((e) => `${buffer}[${base} + ${4 * c + e}u] = act_t((${value})[${e}]);`)
        .join(" "),
    // f16 rows are read as 4 packed halves, as in the inference kernel.
    element: rowElement(dtype),
    dot: (a, b) => `dot(${a}, ${b})`,
  };
}

const each = (f: (r: number) => string, separator = "\n    ") => upTo(ROWS).map(f).join(separator);

function spec(
  name: string,
  headSize: number,
  dtype: Dtype,
  storage: KernelSpec["storage"],
  body: (layout: HeadLayout) => string,
): KernelSpec {
  const layout = headLayout(headSize, dtype);
  // Bindings marked "row" are activations read a chunk at a time: `ld_<name>(i)` on the vec4 path.
  const rows = storage.filter((s) => s.element === "row").map((s) => s.name);
  const used = storage.map((s) => rows.includes(s.name) ? { ...s, element: layout.element } : s);
  const helpers = layout.vector
    ? rows.map((name) => rowLoaderWgsl(`ld_${name}`, name, dtype)).join("\n")
    : "";
  return {
    name,
    key: `${name},d=${headSize},rows=${ROWS}`,
    dtype,
    storage: [...used, { name: "rng", element: "u32", access: "read" } as const],
    uniforms: UNIFORMS,
    workgroupSize: WORKGROUP,
    body: `const D = ${headSize}u;${DROPOUT_WGSL}
${helpers}
/** The dropout factor of probability (i, j) of the (batch, head) at probBase. */
fn kept(probBase: u32, i: u32, j: u32) -> f32 {
  let index = probBase + i * params.seqLen + j;
  return select(0.0, params.dropScale, dropout_keep(index, params.site));
}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  // Invocation g owns rows first .. first + ${ROWS - 1} of (batch b, head h). Rows past T repeat
  // the last one (own<r> false) and store nothing, as some results are updated in place.
  let g = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (g >= params.count) { return; }
  let T = params.seqLen;
  let blocks = (T + ${ROWS - 1}u) / ${ROWS}u;
  let first = (g % blocks) * ${ROWS}u;
  let h = (g / blocks) % params.heads;
  let b = g / (blocks * params.heads);
  let stride = 3u * params.width;
  let head = h * D;
  let probBase = (b * params.heads + h) * T * T;
  ${each((r) => `let p${r} = min(first + ${r}u, T - 1u); let own${r} = first + ${r}u < T;`, "\n  ")}
${body(layout)}
}
`,
  };
}

/** Forward: `probs` (before dropout) and `out = dropout(P)·v`. */
export function attentionForwardKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_forward",
    headSize,
    dtype,
    [
      { name: "qkv", element: "row", access: "read" },
      { name: "mask", element: "u32", access: "read" },
      { name: "probs", element: "f32", access: "read_write" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    ({ chunks, zero, load, store, dot }) => {
      const all = (f: (c: number) => string) => chunks.map(f).join(" ");
      return /* wgsl */ `
  ${
        each((r) =>
          `let qBase${r} = (b * T + p${r}) * stride + head;
  ${all((c) => `let q${r}_${c} = ${load("qkv", `qBase${r}`, c)} * params.scale;`)}
  ${all((c) => `var acc${r}_${c} = ${zero};`)}
  var max${r} = -3.0e38;
  var sum${r} = 0.0;`, "\n  ")
      }
  // Online softmax over the unmasked keys; the raw scores go to probs on the way.
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] == 0u) { continue; }
    let kBase = (b * T + j) * stride + params.width + head;
    ${all((c) => `let k${c} = ${load("qkv", "kBase", c)};`)}
    let vBase = kBase + params.width;
    ${all((c) => `let v${c} = ${load("qkv", "vBase", c)};`)}
    ${
        each((r) =>
          `{
      let s = ${chunks.map((c) => dot(`q${r}_${c}`, `k${c}`)).join(" + ")};
      probs[probBase + p${r} * T + j] = s;
      let newMax = max(max${r}, s);
      let correction = exp(max${r} - newMax);
      let p = exp(s - newMax);
      sum${r} = sum${r} * correction + p;
      max${r} = newMax;
      let pd = p * kept(probBase, p${r}, j);
      ${all((c) => `acc${r}_${c} = acc${r}_${c} * correction + pd * v${c};`)}
    }`
        )
      }
  }
  // Normalise the stored row; masked keys get probability 0.
  ${
        each((r) =>
          `let inv${r} = 1.0 / sum${r};
  if (own${r}) {
    let outBase = (b * T + p${r}) * params.width + head;
    ${all((c) => store("out", "outBase", c, `acc${r}_${c} * inv${r}`))}
  }`, "\n  ")
      }
  for (var j = 0u; j < T; j++) {
    let keep = mask[b * T + j] != 0u;
    ${
        each((r) =>
          `if (own${r}) {
      let at = probBase + p${r} * T + j;
      probs[at] = select(0.0, exp(probs[at] - max${r}) * inv${r}, keep);
    }`
        )
      }
  }`;
    },
  );
}

/** Backward, query side: stores `dS` and writes `dq` into `dqkv`. */
export function attentionBackwardRowsKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_backward_rows",
    headSize,
    dtype,
    [
      { name: "qkv", element: "row", access: "read" },
      { name: "probs", element: "f32", access: "read" },
      { name: "dout", element: "row", access: "read" },
      { name: "dscores", element: "f32", access: "read_write" },
      { name: "dqkv", element: "act_t", access: "read_write" },
    ],
    ({ chunks, zero, load, store, dot }) => {
      const all = (f: (c: number) => string) => chunks.map(f).join(" ");
      return /* wgsl */ `
  ${
        each((r) =>
          `let dBase${r} = (b * T + p${r}) * params.width + head;
  ${all((c) => `let dctx${r}_${c} = ${load("dout", `dBase${r}`, c)};`)}
  ${all((c) => `var dq${r}_${c} = ${zero};`)}
  var rowSum${r} = 0.0;`, "\n  ")
      }
  // dP = dropout(dctx·vᵀ), kept in dscores for now, and Σ_j P·dP per row.
  for (var j = 0u; j < T; j++) {
    let vBase = (b * T + j) * stride + 2u * params.width + head;
    ${all((c) => `let v${c} = ${load("qkv", "vBase", c)};`)}
    ${
        each((r) =>
          `{
      let at = probBase + p${r} * T + j;
      let dp = (${
            chunks.map((c) => dot(`dctx${r}_${c}`, `v${c}`)).join(" + ")
          }) * kept(probBase, p${r}, j);
      dscores[at] = dp;
      rowSum${r} += probs[at] * dp;
    }`
        )
      }
  }
  // dS = P ⊙ (dP − Σ P·dP), stored for the column pass; dq = scale·dS·k.
  for (var j = 0u; j < T; j++) {
    let kBase = (b * T + j) * stride + params.width + head;
    ${all((c) => `let k${c} = ${load("qkv", "kBase", c)};`)}
    ${
        each((r) =>
          `{
      let at = probBase + p${r} * T + j;
      let ds = probs[at] * (dscores[at] - rowSum${r});
      if (own${r}) { dscores[at] = ds; }
      ${all((c) => `dq${r}_${c} += ds * k${c};`)}
    }`
        )
      }
  }
  ${
        each((r) =>
          `if (own${r}) {
    let qBase = (b * T + p${r}) * stride + head;
    ${all((c) => store("dqkv", "qBase", c, `dq${r}_${c} * params.scale`))}
  }`, "\n  ")
      }`;
    },
  );
}

/** Backward, key side: writes `dk` and `dv` into `dqkv`. */
export function attentionBackwardColumnsKernel(headSize: number, dtype: Dtype = "f32"): KernelSpec {
  return spec(
    "attention_backward_columns",
    headSize,
    dtype,
    [
      { name: "qkv", element: "row", access: "read" },
      { name: "probs", element: "f32", access: "read" },
      { name: "dout", element: "row", access: "read" },
      { name: "dscores", element: "f32", access: "read" },
      { name: "dqkv", element: "act_t", access: "read_write" },
    ],
    ({ chunks, zero, load, store }) => {
      const all = (f: (c: number) => string) => chunks.map(f).join(" ");
      // Here the invocation's rows p<r> are keys; the loop runs over queries i.
      return /* wgsl */ `
  ${each((r) => `${all((c) => `var dk${r}_${c} = ${zero}; var dv${r}_${c} = ${zero};`)}`, "\n  ")}
  for (var i = 0u; i < T; i++) {
    let qBase = (b * T + i) * stride + head;
    ${all((c) => `let q${c} = ${load("qkv", "qBase", c)};`)}
    let dBase = (b * T + i) * params.width + head;
    ${all((c) => `let dctx${c} = ${load("dout", "dBase", c)};`)}
    ${
        each((r) =>
          `{
      let at = probBase + i * T + p${r};
      let ds = dscores[at];
      let pd = probs[at] * kept(probBase, i, p${r});
      ${all((c) => `dk${r}_${c} += ds * q${c}; dv${r}_${c} += pd * dctx${c};`)}
    }`
        )
      }
  }
  ${
        each((r) =>
          `if (own${r}) {
    let kBase = (b * T + p${r}) * stride + params.width + head;
    ${all((c) => store("dqkv", "kBase", c, `dk${r}_${c} * params.scale`))}
    ${all((c) => store("dqkv", "kBase + params.width", c, `dv${r}_${c}`))}
  }`, "\n  ")
      }`;
    },
  );
}

/** Shape and dropout of one attention application. */
export interface AttentionShape {
  batch: number;
  seqLen: number;
  heads: number;
  headSize: number;
  /** Attention-probability dropout and its site in the step's RNG stream. */
  dropout: number;
  site: number;
  rng: GPUBuffer;
  /** Storage of Q, K, V, the context and their gradients (probabilities stay f32). */
  dtype?: Dtype;
}

/** Invocations of a shape: one per block of `ROWS` positions of each (batch, head). */
function invocations(s: AttentionShape): number {
  return s.batch * s.heads * Math.ceil(s.seqLen / ROWS);
}

function uniforms(s: AttentionShape): number[] {
  return [
    invocations(s),
    s.seqLen,
    s.heads,
    s.heads * s.headSize,
    1 / Math.sqrt(s.headSize),
    s.site,
    dropoutThreshold(s.dropout),
    1 / (1 - s.dropout),
  ];
}

function grid(s: AttentionShape) {
  return grid1d(Math.ceil(invocations(s) / WORKGROUP));
}

/** Floats of the probabilities (and score-gradient) buffer of a shape. */
export function attentionProbsSize(s: { batch: number; seqLen: number; heads: number }): number {
  return s.batch * s.heads * s.seqLen * s.seqLen;
}

/** Record the training forward. */
export function dispatchAttentionForward(
  runtime: KernelRuntime,
  args: AttentionShape & { qkv: GPUBuffer; mask: GPUBuffer; probs: GPUBuffer; out: GPUBuffer },
) {
  return runtime.dispatch(
    attentionForwardKernel(args.headSize, args.dtype),
    [args.qkv, args.mask, args.probs, args.out, args.rng],
    uniforms(args),
    grid(args),
  );
}

/** Record the backward: `dqkv` is written in full (Q, K and V parts). */
export async function dispatchAttentionBackward(
  runtime: KernelRuntime,
  args: AttentionShape & {
    qkv: GPUBuffer;
    probs: GPUBuffer;
    dout: GPUBuffer;
    dscores: GPUBuffer;
    dqkv: GPUBuffer;
  },
) {
  const buffers = [args.qkv, args.probs, args.dout, args.dscores, args.dqkv, args.rng];
  return [
    await runtime.dispatch(
      attentionBackwardRowsKernel(args.headSize, args.dtype),
      buffers,
      uniforms(args),
      grid(args),
    ),
    await runtime.dispatch(
      attentionBackwardColumnsKernel(args.headSize, args.dtype),
      buffers,
      uniforms(args),
      grid(args),
    ),
  ];
}
