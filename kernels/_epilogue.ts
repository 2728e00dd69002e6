/** What the f32 and f16 Linear kernels share: bindings, uniforms and the epilogue WGSL. */
import { type Activation, applyActivation } from "./activation.ts";
import type { KernelSpec } from "../runtime/kernel.ts";

/**
 * Bindings `a`, `w`, `bias` (f32), `c` (and `r` with a residual) with the
 * given element types, and the uniforms every Linear dispatch passes; the
 * last one, `stride`, is W's row length in its kernel's column groups.
 */
export function linearInterface(
  elements: { a: string; w: string; activation: string },
  residual: boolean,
  stride: string,
): Pick<KernelSpec, "storage" | "uniforms"> {
  const storage: KernelSpec["storage"] = [
    { name: "a", element: elements.a, access: "read" },
    { name: "w", element: elements.w, access: "read" },
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
