/** What the f32 and f16 Linear kernels share: bindings, uniforms and the epilogue WGSL. */
import { type Activation, applyActivation } from "./activation.ts";
import type { KernelSpec } from "../runtime/kernel.ts";

/** Which of a Linear's operands the kernel reads through texel views (`runtime/texels.ts`). */
export interface OperandTexels {
  a: boolean;
  w: boolean;
}

/** Both operands from buffers. */
export const NO_TEXELS: OperandTexels = { a: false, w: false };

/** Cache-key suffix of `texels`, e.g. `,tx=aw`. */
export function texelsKey(texels: OperandTexels): string {
  return `,tx=${texels.a ? "a" : ""}${texels.w ? "w" : ""}`;
}

/** The bindings of operands `a` and `w` with their element types, texel views where `texels` says. */
export function operandBindings(
  elements: { a: string; w: string },
  texels: OperandTexels,
): KernelSpec["storage"] {
  return [
    { name: "a", element: elements.a, access: "read", texels: texels.a },
    { name: "w", element: elements.w, access: "read", texels: texels.w },
  ];
}

/**
 * WGSL `readA(i)` and `readW(i)`: element i of each operand, from its buffer
 * or its texel view (a 16-byte element: `vec4<u32>` as is, `vec4<f32>` bitcast).
 */
export function operandReadersWgsl(
  elements: { a: string; w: string },
  texels: OperandTexels,
): string {
  const reader = (fn: string, name: string, element: string, fromTexels: boolean) => {
    if (!fromTexels) return `fn ${fn}(i: u32) -> ${element} { return ${name}[i]; }`;
    const value = `texel(${name}, i)`;
    if (element === "vec4<u32>") return `fn ${fn}(i: u32) -> vec4<u32> { return ${value}; }`;
    if (element === "vec4<f32>") {
      return `fn ${fn}(i: u32) -> vec4<f32> { return bitcast<vec4<f32>>(${value}); }`;
    }
    throw new TypeError(`Operand "${name}" of element ${element} cannot be read from texels`);
  };
  return `${reader("readA", "a", elements.a, texels.a)}
${reader("readW", "w", elements.w, texels.w)}`;
}

/**
 * Bindings `a`, `w` (element types given, texel views where `texels` says),
 * `bias` (f32), `c` (and `r` with a residual) in `act_t`, and the uniforms
 * every Linear dispatch passes; the last one, `stride`, is W's row length in
 * its kernel's column groups. With `vectorC`, bias, C and R are read and
 * written as vec4s (`epilogueWgsl`).
 */
export function linearInterface(
  elements: { a: string; w: string },
  options: { residual: boolean; stride: string; texels?: OperandTexels; vectorC?: boolean },
): Pick<KernelSpec, "storage" | "uniforms"> {
  const { residual, stride, texels = NO_TEXELS, vectorC = false } = options;
  const output = vectorC ? "vec4<act_t>" : "act_t";
  const storage: KernelSpec["storage"] = [
    ...operandBindings(elements, texels),
    { name: "bias", element: vectorC ? "vec4<f32>" : "f32", access: "read" },
    { name: "c", element: output, access: "read_write" },
  ];
  if (residual) storage.push({ name: "r", element: output, access: "read" });
  const uniforms: KernelSpec["uniforms"] = ["m", "n", "k", "lda", "ldc", "n0", stride].map((
    name,
  ) => ({ name, type: "u32" }));
  return { storage, uniforms };
}

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
 * over the SIMD lanes, and the element-by-element epilogue took 15–20% of a
 * 1024×768×768 GEMM's time.
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
