import assert from "node:assert/strict";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  floatToHalf,
  halfToFloat,
  readSafetensors,
} from "./safetensors.ts";

const SOURCE = "dir/model.safetensors";

/** A safetensors file from a header (object or raw text) and `dataBytes` bytes of data. */
function rawFile(header: unknown, dataBytes: Uint8Array | number, headerLength?: number) {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const data = typeof dataBytes === "number" ? new Uint8Array(dataBytes) : dataBytes;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian 16-bit words as bytes. */
function words(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(2 * i, v, true));
  return out;
}

function decodeFails(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(() => decodeSafetensors(bytes, SOURCE), (error: Error) => {
    assert.ok(error instanceof CheckpointError, `not a CheckpointError: ${error}`);
    assert.match(error.message, /^Cannot load checkpoint "dir\/model\.safetensors": /);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("encode then decode gives identical float32 data, shapes and metadata", () => {
  const a = new Float32Array([1, -2.5, 3.25, 1e-30, -0, Infinity]);
  const b = new Float32Array([0.1, 0.2, 0.3]);
  const bytes = encodeSafetensors([["a", { shape: [2, 3], data: a }], ["b.weight", {
    shape: [3],
    data: b,
  }]], { metadata: { format: "pt" } });
  // The header is padded so the data section starts 8-byte aligned.
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
  const file = decodeSafetensors(bytes, SOURCE);
  assert.deepEqual([...file.tensors.keys()], ["a", "b.weight"]);
  assert.deepEqual(file.tensors.get("a"), { dtype: "F32", shape: [2, 3], data: a });
  assert.deepEqual(file.tensors.get("b.weight")!.data, b);
  assert.deepEqual(file.metadata, { format: "pt" });
});

Deno.test("readSafetensors reads a file from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/x.safetensors`;
    await Deno.writeFile(
      path,
      encodeSafetensors([["x", { shape: [0], data: new Float32Array() }]]),
    );
    const file = await readSafetensors(path);
    assert.deepEqual(file.tensors.get("x")!.shape, [0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Bit patterns worked out by hand: sign | exponent | mantissa.
// f16: 1.0 = 0 01111 0000000000; -2.5 = -1.25·2^1 = 1 10000 0100000000;
// 0.333251953125 = 1365/4096 = 1.3330078125·2^-2 = 0 01101 0101010101; 65504 = max finite;
// 2^-24 = smallest subnormal.
const F16_CASES: [number, number][] = [
  [0x3c00, 1],
  [0xc100, -2.5],
  [0x3555, 0.333251953125],
  [0x7bff, 65504],
  [0x0001, 2 ** -24],
  [0x8000, -0],
  [0x7c00, Infinity],
];
// bf16 is the top half of the float32 bits: 1.0 = 0x3F800000, -2.5 = 0xC0200000,
// 3.140625 = 0x40490000, 0.33203125 = 170/512 = 0x3EAA0000.
const BF16_CASES: [number, number][] = [
  [0x3f80, 1],
  [0xc020, -2.5],
  [0x4049, 3.140625],
  [0x3eaa, 0.33203125],
];

Deno.test("F16 tensors decode to the hand-computed values", () => {
  const bytes = rawFile(
    { h: { dtype: "F16", shape: [F16_CASES.length], data_offsets: [0, 2 * F16_CASES.length] } },
    words(F16_CASES.map(([bits]) => bits)),
  );
  const tensor = decodeSafetensors(bytes, SOURCE).tensors.get("h")!;
  assert.equal(tensor.dtype, "F16");
  assert.deepEqual([...tensor.data], F16_CASES.map(([, value]) => value));
  assert.ok(Object.is(tensor.data[5], -0));
});

Deno.test("BF16 tensors decode to the hand-computed values", () => {
  const bytes = rawFile(
    { __metadata__: { format: "pt" }, b: { dtype: "BF16", shape: [2, 2], data_offsets: [0, 8] } },
    words(BF16_CASES.map(([bits]) => bits)),
  );
  const tensor = decodeSafetensors(bytes, SOURCE).tensors.get("b")!;
  assert.deepEqual(tensor.shape, [2, 2]);
  assert.deepEqual([...tensor.data], BF16_CASES.map(([, value]) => value));
});

Deno.test("halfToFloat and floatToHalf agree with the hand-computed bit patterns", () => {
  for (const [bits, value] of F16_CASES) {
    assert.ok(Object.is(halfToFloat(bits), value), `0x${bits.toString(16)}`);
    assert.equal(floatToHalf(value), bits, `${value}`);
  }
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.equal(floatToHalf(NaN) & 0x7c00, 0x7c00);
  // Round to nearest even: 1 + 2^-11 is a tie (down to 1.0), 1 + 3·2^-11 a tie up to 0x3C02.
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00);
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(floatToHalf(65520), 0x7c00); // rounds past the largest finite half
  assert.equal(floatToHalf(2 ** -25), 0x0000); // tie between 0 and 2^-24 goes to even
  assert.equal(floatToHalf(3 * 2 ** -26), 0x0001);
  assert.equal(floatToHalf(1.5 * 2 ** -14 - 2 ** -25), 0x0600); // subnormal tie to even
});

Deno.test("F16 writing round-trips values that half precision holds", () => {
  const data = new Float32Array(F16_CASES.map(([, value]) => value));
  const bytes = encodeSafetensors([["h", { shape: [data.length], data }]], { dtype: "F16" });
  const tensor = decodeSafetensors(bytes, SOURCE).tensors.get("h")!;
  assert.equal(tensor.dtype, "F16");
  assert.deepEqual(tensor.data, data);
});

Deno.test("a file shorter than 8 bytes is refused", () => {
  decodeFails(new Uint8Array(5), /file has 5 bytes, too short/);
});

Deno.test("a header length beyond the file is refused", () => {
  decodeFails(rawFile({}, 0, 1000), /header length 1000 is beyond the file \(file has 10 bytes\)/);
});

Deno.test("a header that is not JSON is refused", () => {
  decodeFails(rawFile('{"a": {"dtype": "F32", ', 0), /header is not valid JSON/);
  decodeFails(rawFile("[1, 2]", 0), /header is not a JSON object/);
});

Deno.test("an unsupported dtype names the tensor", () => {
  const header = { "x.weight": { dtype: "I64", shape: [1], data_offsets: [0, 8] } };
  decodeFails(rawFile(header, 8), /tensor "x\.weight" has unsupported dtype "I64"/);
});

Deno.test("invalid shapes and offsets name the tensor", () => {
  const bad = (entry: unknown) => rawFile({ t: entry }, 0);
  decodeFails(
    bad({ dtype: "F32", shape: [-1], data_offsets: [0, 0] }),
    /tensor "t" has invalid shape/,
  );
  decodeFails(
    bad({ dtype: "F32", shape: [1], data_offsets: [4, 0] }),
    /tensor "t" has invalid data_offsets/,
  );
  decodeFails(bad("F32"), /tensor "t" has no header entry object/);
});

Deno.test("offsets that do not match dtype × shape are refused", () => {
  const header = { "albert.pooler.bias": { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } };
  decodeFails(
    rawFile(header, 20),
    /tensor "albert\.pooler\.bias" has data_offsets \[0, 20\] \(20 bytes\), expected 24 bytes for F32 \[2, 3\]/,
  );
});

Deno.test("overlapping tensors are refused", () => {
  const header = {
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
  };
  decodeFails(rawFile(header, 12), /tensor "b" overlaps another tensor \(bytes 4\.\.12\)/);
});

Deno.test("holes and trailing bytes in the data section are refused", () => {
  const header = { a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } };
  decodeFails(rawFile(header, 8), /tensor "a" leaves a gap in the data \(bytes 0\.\.4\)/);
  const ok = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
  decodeFails(rawFile(ok, 6), /file has 2 bytes after the last tensor/);
});

Deno.test("a truncated file names the tensor, the bytes it needs and the file size", () => {
  const header = {
    "albert.pooler.bias": { dtype: "F32", shape: [4], data_offsets: [0, 16] },
    "albert.pooler.weight": { dtype: "F32", shape: [4, 4], data_offsets: [16, 80] },
  };
  const full = rawFile(header, 80);
  const headerEnd = full.length - 80;
  decodeFails(
    full.subarray(0, full.length - 10),
    new RegExp(
      `tensor "albert\\.pooler\\.weight" is truncated \\(needs bytes ${headerEnd + 16}\\.\\.${
        headerEnd + 80
      }, file has ${full.length - 10}\\)`,
    ),
  );
});

Deno.test("metadata must map strings to strings", () => {
  decodeFails(
    rawFile({ __metadata__: { total: 3 } }, 0),
    /__metadata__ must map strings to strings/,
  );
});

Deno.test("encoding refuses data that does not fill its shape", () => {
  assert.throws(
    () => encodeSafetensors([["t", { shape: [2, 2], data: new Float32Array(3) }]]),
    /Tensor "t" has 3 values, shape \[2, 2\] needs 4/,
  );
});
