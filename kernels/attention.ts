/**
 * Masked multi-head self-attention from a fused QKV buffer, in one kernel:
 * scores `q·kᵀ · scale`, padding keys skipped, softmax, weighted sum of `v`.
 *
 * Shapes: `qkv` is `[B·T, 3W]` holding Q, K and V side by side (W = heads × d),
 * `mask` is `[B·T]` (1 = token, 0 = padding), `out` is `[B·T, W]` with heads
 * concatenated. The softmax is computed online (running max and sum), so
 * memory does not grow with T². Skipping a padded key is exactly Hugging
 * Face's additive mask, whose weight underflows to zero. The same kernel
 * serves the PAL attention in the small space.
 *
 * Design (llvmpipe, where a storage load costs far more than an FMA): one
 * invocation owns `QUERIES` queries of one (batch, head), so each key and
 * value row it loads serves all of them, and the head dimension is unrolled
 * at compile time so queries and accumulators are plain registers (spilled
 * if need be) rather than dynamically indexed arrays. When d is a multiple
 * of 4, rows are read 4 values at a time (`vec4<f32>`, or 4 packed f16).
 * With fixed-size subgroups on a software adapter (llvmpipe: 8 lanes), the
 * lanes of a subgroup take consecutive query blocks of one (batch, head), so
 * they read the same key and value rows: each lane loads 1/8 of a row and
 * `subgroupBroadcast` hands the pieces round.
 *
 * Tried and slower on llvmpipe (2026-11-23, batch 8 × 128 tokens, 12 heads of
 * 64): keys in steps of 4 with one max update and one rescale per step, 15.5
 * ms against 14.8 (f32) and 15.5 against 12.5 (f16); vec4 stores of the
 * output were no faster.
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";
import { simdSubgroupSize } from "../runtime/device.ts";
import { assertSubgroupDivides, ownedItemWgsl } from "./_subgroup.ts";

const WORKGROUP = 32;
/** Queries per invocation. */
const QUERIES = 8;

/**
 * Kernel variant for a head size (unrolled at compile time) and activation
 * dtype (scores and softmax are always f32); with `subgroupSize`, key and
 * value rows are shared through subgroups of that size.
 */
export function attentionKernel(
  headSize: number,
  dtype: Dtype = "f32",
  subgroupSize?: number,
): KernelSpec {
  const D = headSize;
  const S = subgroupSize;
  if (S) assertSubgroupDivides("attention kernel", S, { lanes: WORKGROUP });
  const vector = D % 4 === 0;
  // Element chunks of a row: vec4s when d is a multiple of 4, else scalars.
  const units = vector ? D / 4 : D;
  const chunks = [...Array(units).keys()];
  const queries = [...Array(QUERIES).keys()];
  const zero = vector ? "vec4f(0.0)" : "0.0";
  // A chunk of a row at element offset `base` (a multiple of 4 when vector); `c` may be WGSL.
  const load = (base: string, c: number | string) => {
    const at = typeof c === "number" ? `${c}u` : c;
    return vector ? `ld4((${base}) / 4u + ${at})` : `f32(qkv[${base} + ${at}])`;
  };
  // With subgroups lane `lane` loads chunks lane, lane + S, … (the last repeated past the end).
  const owned = [...Array(S ? Math.ceil(units / S) : 0).keys()];
  const rowChunks = (name: string, base: string) =>
    S
      ? owned.map((p) =>
        `let ${name}Own${p} = ${load(base, `min(${p * S}u + lane, ${units - 1}u)`)};`
      )
        .join(" ") +
        "\n    " +
        chunks.map((c) => `let ${name}${c} = ${ownedItemWgsl(`${name}Own`, c, S)};`).join(" ")
      : chunks.map((c) => `let ${name}${c} = ${load(base, c)};`).join(" ");
  const dot = (a: string, b: string) => (vector ? `dot(${a}, ${b})` : `${a} * ${b}`);
  return {
    name: "attention",
    key: `attention,d=${D},q=${QUERIES},sg=${S ?? 0}`,
    dtype,
    storage: [
      { name: "qkv", element: vector ? rowElement(dtype) : "act_t", access: "read" },
      { name: "mask", element: "u32", access: "read" },
      { name: "out", element: "act_t", access: "read_write" },
    ],
    uniforms: [
      { name: "count", type: "u32" },
      { name: "seqLen", type: "u32" },
      { name: "heads", type: "u32" },
      { name: "width", type: "u32" },
      { name: "scale", type: "f32" },
    ],
    workgroupSize: WORKGROUP,
    body: /* wgsl */ `
${vector ? rowLoaderWgsl("ld4", "qkv", dtype) : ""}
const D = ${D}u;
const QUERIES = ${QUERIES}u;
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(${
      S
        ? `@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(subgroup_id) subgroup: u32, @builtin(subgroup_invocation_id) lane: u32`
        : "@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u"
    }) {
  let T = params.seqLen;
  let blocks = (T + QUERIES - 1u) / QUERIES;
  ${
      S
        ? `// Subgroup task t owns ${S} consecutive query blocks of one (batch, head), a lane each;
  // params.count counts tasks, and a whole subgroup leaves together.
  let groups = (blocks + ${S - 1}u) / ${S}u;
  let t = (wg.x + wg.y * nwg.x) * ${WORKGROUP / S}u + subgroup;
  if (t >= params.count) { return; }
  let i0 = ((t % groups) * ${S}u + lane) * QUERIES;
  let h = (t / groups) % params.heads;
  let b = t / (groups * params.heads);`
        : `// Invocation g owns queries i0 .. i0 + QUERIES - 1 of (batch b, head h).
  let g = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (g >= params.count) { return; }
  let i0 = (g % blocks) * QUERIES;
  let h = (g / blocks) % params.heads;
  let b = g / (blocks * params.heads);`
    }
  let stride = 3u * params.width;
  // Queries past T repeat the last one and are not stored.
  ${
      queries.map((r) =>
        `let qBase${r} = (b * T + min(i0 + ${r}u, T - 1u)) * stride + h * D;
  ${chunks.map((c) => `let q${r}_${c} = ${load(`qBase${r}`, c)} * params.scale;`).join(" ")}
  ${chunks.map((c) => `var acc${r}_${c} = ${zero};`).join(" ")}
  var max${r} = -3.0e38;
  var sum${r} = 0.0;`
      ).join("\n  ")
    }
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] == 0u) { continue; }
    let kBase = (b * T + j) * stride + params.width + h * D;
    ${rowChunks("k", "kBase")}
    let vBase = kBase + params.width;
    ${rowChunks("v", "vBase")}
    ${
      queries.map((r) =>
        `{
      let s = ${chunks.map((c) => dot(`q${r}_${c}`, `k${c}`)).join(" + ")};
      let newMax = max(max${r}, s);
      let correction = exp(max${r} - newMax);
      let p = exp(s - newMax);
      sum${r} = sum${r} * correction + p;
      max${r} = newMax;
      ${chunks.map((c) => `acc${r}_${c} = acc${r}_${c} * correction + p * v${c};`).join(" ")}
    }`
      ).join("\n    ")
    }
  }
  ${
      queries.map((r) =>
        `if (i0 + ${r}u < T) {
    let outBase = (b * T + i0 + ${r}u) * params.width + h * D;
    let inv = 1.0 / sum${r};
    ${
          chunks.map((c) =>
            vector
              ? [0, 1, 2, 3].map((e) =>
                `out[outBase + ${4 * c + e}u] = act_t(acc${r}_${c}[${e}] * inv);`
              ).join(" ")
              : `out[outBase + ${c}u] = act_t(acc${r}_${c} * inv);`
          ).join("\n    ")
        }
  }`
      ).join("\n  ")
    }
}
`,
  };
}

/**
 * Element type of an activation read 4 values at a time: `vec4<f32>`, or in
 * f16 4 packed halves in a `vec2<u32>` (half the loaded components of a
 * `vec4<f16>`; llvmpipe's loads cost per component).
 */
export function rowElement(dtype: Dtype): string {
  return dtype === "f16" ? "vec2<u32>" : "vec4<f32>";
}

/** WGSL `fn <fn>(i: u32) -> vec4f`: group i of 4 values of `buffer`, bound as `rowElement(dtype)`. */
export function rowLoaderWgsl(fn: string, buffer: string, dtype: Dtype): string {
  return dtype === "f16"
    ? `fn ${fn}(i: u32) -> vec4f { let p = ${buffer}[i]; ` +
      "return vec4f(unpack2x16float(p.x), unpack2x16float(p.y)); }"
    : `fn ${fn}(i: u32) -> vec4f { return ${buffer}[i]; }`;
}

/** Record attention over `batch × seqLen` tokens with `heads` heads of `headSize`. */
export function dispatchAttention(
  runtime: KernelRuntime,
  args: {
    qkv: GPUBuffer;
    mask: GPUBuffer;
    out: GPUBuffer;
    batch: number;
    seqLen: number;
    heads: number;
    headSize: number;
    dtype?: Dtype;
    /** Share key and value rows through subgroups (default: `simdSubgroupSize` of the device). */
    subgroups?: boolean;
  },
) {
  const S = args.subgroups === false ? undefined : simdSubgroupSize(runtime.device, [WORKGROUP]);
  const blocks = Math.ceil(args.seqLen / QUERIES);
  // Invocations, or with subgroups subgroup tasks of S query blocks each.
  const count = args.batch * args.heads * (S ? Math.ceil(blocks / S) : blocks);
  const invocations = S ? count * S : count;
  return runtime.dispatch(
    attentionKernel(args.headSize, args.dtype, S),
    [args.qkv, args.mask, args.out],
    [count, args.seqLen, args.heads, args.heads * args.headSize, 1 / Math.sqrt(args.headSize)],
    grid1d(Math.ceil(invocations / WORKGROUP)),
  );
}
