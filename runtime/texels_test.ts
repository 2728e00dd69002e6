/**
 * Texel views: bytes copied or uploaded into one read back unchanged through
 * `texel(t, i)` (across a row boundary and a partial last row), copies keep
 * their order with the dispatches around them, and misuse is refused.
 */
import assert from "node:assert/strict";
import {
  type Dispatch,
  KernelRuntime,
  type KernelSpec,
  readFloats,
  submitDispatches,
} from "./kernel.ts";
import {
  createTexels,
  fitsTexels,
  prefersTexels,
  texelRows,
  TEXELS_PER_ROW,
  uploadTexels,
} from "./texels.ts";
import { storageBuffer } from "../tests/_buffers.ts";
import { gpuTest } from "../tests/_gpu.ts";

/** `out[i] = texel(t, i)` for i < params.count. */
const READ_BACK: KernelSpec = {
  name: "read-texels",
  key: "read-texels",
  storage: [
    { name: "t", element: "vec4<u32>", access: "read", texels: true },
    { name: "out", element: "vec4<u32>", access: "read_write" },
  ],
  uniforms: [{ name: "count", type: "u32" }],
  workgroupSize: 64,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < params.count) { out[id.x] = texel(t, id.x); }
}`,
};

/** `out[i] = out[i] + 1` for every word: a write the next copy must see. */
const INCREMENT: KernelSpec = {
  name: "increment",
  key: "increment",
  storage: [{ name: "out", element: "u32", access: "read_write" }],
  uniforms: [{ name: "count", type: "u32" }],
  workgroupSize: 64,
  body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < params.count) { out[id.x] += 1u; }
}`,
};

// One full row and 5 texels of the next: both of encodeTexelCopy's copies run.
const TEXELS = TEXELS_PER_ROW + 5;
const words = Uint32Array.from({ length: TEXELS * 4 }, (_, i) => (i * 2654435761) >>> 0);

async function readBack(
  device: GPUDevice,
  runtime: KernelRuntime,
  texels: GPUTexture,
  before: Dispatch[] = [],
  copy?: Dispatch["before"],
): Promise<Uint32Array> {
  const out = storageBuffer(device, new Uint32Array(TEXELS * 4));
  const read = await runtime.dispatch(
    READ_BACK,
    [texels, out],
    [TEXELS],
    [Math.ceil(TEXELS / 64), 1, 1],
    copy,
  );
  submitDispatches(device, before, [read]);
  const got = new Uint32Array((await readFloats(device, out, TEXELS * 4)).buffer);
  out.destroy();
  return got;
}

gpuTest(
  "a buffer copied into a texel view reads back unchanged, row boundary included",
  async (gpu) => {
    const { device } = gpu;
    const runtime = new KernelRuntime(device);
    assert.equal(texelRows(TEXELS * 16), 2);
    const source = storageBuffer(device, words);
    const texels = createTexels(device, TEXELS * 16, "test");
    const got = await readBack(device, runtime, texels, [], {
      source,
      bytes: TEXELS * 16,
      texels,
    });
    assert.deepEqual(got, words);
    source.destroy();
    texels.destroy();
  },
);

gpuTest("uploadTexels pads to whole rows and reads back unchanged", async (gpu) => {
  const { device } = gpu;
  const texels = uploadTexels(device, words, "test");
  assert.equal(texels.height, 2);
  assert.deepEqual(await readBack(device, new KernelRuntime(device), texels), words);
  texels.destroy();
});

gpuTest("a copy sees the dispatch before it and its reader sees the copy", async (gpu) => {
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const source = storageBuffer(device, words);
  const texels = createTexels(device, TEXELS * 16, "test");
  const increment = await runtime.dispatch(INCREMENT, [source], [TEXELS * 4], [
    Math.ceil(TEXELS * 4 / 64),
    1,
    1,
  ]);
  const got = await readBack(device, runtime, texels, [increment], {
    source,
    bytes: TEXELS * 16,
    texels,
  });
  assert.deepEqual(got, words.map((w) => (w + 1) >>> 0));
  source.destroy();
  texels.destroy();
});

gpuTest(
  "texel views refuse partial texels, oversized views and a buffer in their place",
  async (gpu) => {
    const { device } = gpu;
    assert.equal(fitsTexels(device, 24), false);
    assert.throws(() => createTexels(device, 24, "odd"), /Texel view "odd" of 24 bytes/);
    const tooTall = (device.limits.maxTextureDimension2D + 1) * TEXELS_PER_ROW * 16;
    assert.equal(fitsTexels(device, tooTall), false);
    assert.throws(() => createTexels(device, tooTall, "tall"), /at most \d+ rows/);
    const buffer = storageBuffer(device, words);
    await assert.rejects(
      new KernelRuntime(device).dispatch(READ_BACK, [buffer, buffer], [1], [1, 1, 1]),
      /binds "t" as a texel view, got a buffer/,
    );
    buffer.destroy();
  },
);

gpuTest(
  "llvmpipe reads operands through texel views (it has read-only storage textures)",
  (gpu) => {
    // CI runs on lavapipe: a change that silently turned texel views off there would fail here.
    if (/llvmpipe/.test(gpu.description)) assert.equal(prefersTexels(gpu.device), true);
    return Promise.resolve();
  },
);
