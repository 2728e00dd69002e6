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
 * Bindings `a`, `w`, `bias` (f32), `c` (and `r` with a residual) with the
 * given element types, and the uniforms every Linear dispatch passes; the
 * last one, `stride`, is W's row length in its kernel's column groups.
 */
export function linearInterface(
  elements: { a: string; w: string; activation: string },
  residual: boolean,
  stride: string,
  texels: OperandTexels = NO_TEXELS,
): Pick<KernelSpec, "storage" | "uniforms"> {
  const storage: KernelSpec["storage"] = [
    ...operandBindings(elements, texels),
    { name: "bias", element: "f32", access: "read" },
    { name: "c", element: elements.activation, access: "read_write" },
  ];
  if (residual) storage.push({ name: "r", element: elements.activation, access: "read" });
  const uniforms: KernelSpec["uniforms"] = ["m", "n", "k", "lda", "ldc", "n0", stride].map((
    name,
  ) => ({ name, type: "u32" }));
  return { storage, uniforms };
}

/**
 * Declares `store(row, col4, acc)`: adds the bias (and the residual `r`),
 * applies the activation in f32 and writes columns `4·col4 .. 4·col4 + 3` of
 * `row` to `c` (element type `act_t`), skipping rows and columns out of range.
 */
export function epilogueWgsl(activation: Activation, residual: boolean): string {
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
