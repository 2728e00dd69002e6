/**
 * WGSL helpers for kernels that share loads through subgroups (llvmpipe: 8
 * lanes, one SIMD register): lane `l` loads items l, l + size, … of a set as
 * `<name>0`, `<name>1`, …, and every lane takes item i from the lane that
 * loaded it with `subgroupBroadcast`, a register shuffle there.
 */

/** Item `index` of a set loaded round-robin as `<name><p>`, broadcast from the lane that loaded it. */
export function ownedItemWgsl(name: string, index: number, subgroupSize: number): string {
  return `subgroupBroadcast(${name}${Math.floor(index / subgroupSize)}, ${index % subgroupSize}u)`;
}

/**
 * Throw unless `subgroupSize` divides each of a kernel's counts (block rows,
 * lanes, …), so every subgroup owns whole rounds of the set it shares.
 */
export function assertSubgroupDivides(
  kernel: string,
  subgroupSize: number,
  counts: Record<string, number>,
): void {
  for (const [what, count] of Object.entries(counts)) {
    if (count % subgroupSize !== 0) {
      throw new RangeError(
        `The subgroup ${kernel} needs a subgroup size dividing its ${what} (${count}), not ${subgroupSize}`,
      );
    }
  }
}
