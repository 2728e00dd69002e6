/** The GEMM epilogue WGSL shared by the f32 and f16 Linear kernels. */
import { type Activation, applyActivation } from "./activation.ts";

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
