/**
 * What the Linear kernels (f32, f16, tiled) share: options, bindings,
 * uniforms, operand readers and the epilogue WGSL.
 */
import { type Activation, applyActivation } from "./activation.ts";
import type { KernelSpec } from "../runtime/kernel.ts";

/** Which of a Linear's operands the kernel reads through texel views (`runtime/texels.ts`). */
export interface OperandTexels {
  a: boolean;
  w: boolean;
}

/** What every Linear kernel variant (f32, f16, tiled) is generated from, besides its block. */
export interface LinearKernelOptions {
  activation: Activation;
  residual: boolean;
  /** Whether K and lda are multiples of the packed width, so A is read in whole vectors. */
  vectorA: boolean;
  /**
   * Split-K's first pass (`matmul_split_k.ts`): workgroup z sums its K range
   * into `partial` (f32) with no epilogue (activation and residual unused).
   */
  partial?: boolean;
  /** Operands read through texel views (default: neither; A only with `vectorA`). */
  texels?: OperandTexels;
  /** Bias, C and R as vec4s (`vectorOutput`; default false). */
  vectorC?: boolean;
}

/** What a Linear kernel's options decide around its main loop. */
export interface LinearParts extends Pick<KernelSpec, "storage" | "uniforms"> {
  /** WGSL of `readA(i)`, `readW(i)` and `store(row, col4, acc)`. */
  wgsl: string;
  /** Cache-key suffix naming the options' bindings and epilogue. */
  key: string;
}

/**
 * The bindings, uniforms and WGSL around a Linear kernel's loop: operands `a`
 * and `w` (element types given, from texel views where `options.texels`
 * says) read with `readA(i)`/`readW(i)`; then `bias`, `c` (and `r`) with
 * the epilogue `store` (`epilogueWgsl`), or for split-K's partial pass an f32
 * `partial` written unchanged. `stride` names the last uniform, W's row
 * length in the kernel's column groups.
 */
export function linearParts(
  elements: { a: string; w: string },
  stride: string,
  options: LinearKernelOptions,
): LinearParts {
  const { activation, residual, partial = false, vectorC = false } = options;
  const texels = options.texels ?? { a: false, w: false };
  const operands: KernelSpec["storage"] = [
    { name: "a", element: elements.a, access: "read", texels: texels.a },
    { name: "w", element: elements.w, access: "read", texels: texels.w },
  ];
  const key = `,tx=${texels.a ? "a" : ""}${texels.w ? "w" : ""},vc=${vectorC}`;
  const readers = `${operandReaderWgsl("readA", "a", elements.a, texels.a)}
${operandReaderWgsl("readW", "w", elements.w, texels.w)}
`;
  const u32s = (names: string[]) => names.map((name) => ({ name, type: "u32" as const }));
  if (partial) {
    return {
      storage: [...operands, { name: "partial", element: "vec4<f32>", access: "read_write" }],
      uniforms: u32s(["m", "k", "lda", "kRange", "n4", stride]),
      wgsl: readers + PARTIAL_STORE_WGSL,
      key,
    };
  }
  const output = vectorC ? "vec4<act_t>" : "act_t";
  const storage: KernelSpec["storage"] = [
    ...operands,
    { name: "bias", element: vectorC ? "vec4<f32>" : "f32", access: "read" },
    { name: "c", element: output, access: "read_write" },
  ];
  if (residual) storage.push({ name: "r", element: output, access: "read" });
  return {
    storage,
    uniforms: u32s(["m", "n", "k", "lda", "ldc", "n0", stride]),
    wgsl: readers + epilogueWgsl(activation, residual, vectorC),
    key,
  };
}

/**
 * WGSL `fn <fn>(i)`: element i of operand `name`, from its buffer or its
 * texel view (a 16-byte element: `vec4<u32>` as is, `vec4<f32>` bitcast).
 */
function operandReaderWgsl(fn: string, name: string, element: string, fromTexels: boolean) {
  if (!fromTexels) return `fn ${fn}(i: u32) -> ${element} { return ${name}[i]; }`;
  const value = `texel(${name}, i)`;
  if (element === "vec4<u32>") return `fn ${fn}(i: u32) -> vec4<u32> { return ${value}; }`;
  if (element === "vec4<f32>") {
    return `fn ${fn}(i: u32) -> vec4<f32> { return bitcast<vec4<f32>>(${value}); }`;
  }
  throw new TypeError(`Operand "${name}" of element ${element} cannot be read from texels`);
}

/**
 * Declares `store(row, col4, acc)` for split-K's partial pass: writes the
 * vec4 of range `split` unchanged to `partial[split, row, col4]`, skipping
 * rows and column groups out of range.
 */
const PARTIAL_STORE_WGSL = /* wgsl */ `
var<private> split: u32;
fn store(row: u32, col4: u32, acc: vec4f) {
  if (row >= params.m || col4 >= params.n4) { return; }
  partial[(split * params.m + row) * params.n4 + col4] = acc;
}
`;

/**
 * Whether a Linear's epilogue can use vec4 bias, C and R: every column group
 * of 4 is whole and starts a vec4 of C (N, ldc and the chunks' n0 multiples
 * of 4; chunks start at multiples of a workgroup block, which are).
 */
export function vectorOutput(n: number, ldc: number): boolean {
  return n % 4 === 0 && ldc % 4 === 0;
}

/**
 * Declares `store(row, col4, acc)`: adds the bias (and the residual `r`),
 * applies the activation in f32 and writes columns `4·col4 .. 4·col4 + 3` of
 * `row` to `c` (element type `act_t`), skipping rows and columns out of range.
 * With `vectorC` (see `vectorOutput`) it does so with one vec4 load of the
 * bias and of R and one vec4 store: on llvmpipe each storage access is a loop
 * over the SIMD lanes, and a stub epilogue ran 6–26% faster than the
 * element-by-element one at the ALBERT-base shapes (`gemm_lab.ts` notes).
 */
export function epilogueWgsl(activation: Activation, residual: boolean, vectorC = false): string {
  if (vectorC) {
    const act = (x: string) => applyActivation(activation, x);
    return /* wgsl */ `
fn store(row: u32, col4: u32, acc: vec4f) {
  if (row >= params.m || col4 * 4u >= params.n) { return; }
  let outCol4 = params.n0 / 4u + col4;
  let index = row * (params.ldc / 4u) + outCol4;
  var v = acc + bias[outCol4];
  ${residual ? "v += vec4f(r[index]);" : ""}
  c[index] = vec4<act_t>(${
      activation === "none" ? "v" : `vec4f(${["x", "y", "z", "w"].map((q) => act(`v.${q}`))})`
    });
}
`;
  }
  return /* wgsl */ `
fn store(row: u32, col4: u32, acc: vec4f) {
  if (row >= params.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    let col = col4 * 4u + j;
    if (col >= params.n) { return; }
    let outCol = params.n0 + col;
    let index = row * params.ldc + outCol;
    var v = acc[j] + bias[outCol];
    ${residual ? "v += f32(r[index]);" : ""}
    c[index] = act_t(${applyActivation(activation, "v")});
  }
}
`;
}
