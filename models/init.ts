/**
 * Seeded weight initialisation following Hugging Face `_init_weights`:
 * Linear weights and embeddings ~ Normal(0, initializer_range), biases 0,
 * LayerNorm weight 1 and bias 0, and the word-embedding row of `pad_token_id`
 * zeroed (PyTorch's `padding_idx`).
 *
 * Determinism: each tensor draws from its own xoshiro128** stream, seeded by
 * splitmix32 from the seed and an FNV-1a hash of the tensor's name. Streams are
 * independent of tensor order, so adding a head or an adapter leaves the other
 * tensors' values unchanged. Normals come from Marsaglia's polar method in
 * float64, rounded once to float32. All integer steps are exact 32-bit
 * arithmetic, `Math.sqrt` is correctly rounded, and V8 computes `Math.log` in
 * software (an fdlibm port) rather than through the host's libm, so the same
 * seed gives bit-identical weights on every machine.
 */
import type { ModelConfig } from "./config.ts";
import { modelLayout, shapeSize } from "./layout.ts";
import { makeModel, type Model, type Weights } from "./model.ts";

/** splitmix32: one step of a 32-bit mixer, used to expand seeds into generator state. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A xoshiro128** generator (Blackman & Vigna 2018) of uniform 32-bit integers, from a seed or a state. */
export function xoshiro128ss(
  seed: number | readonly [number, number, number, number],
): () => number {
  // A seed expands through a splitmix32 chain; the all-zero state would only ever yield zeros.
  let [a, b, c, d] = typeof seed === "number" ? [0, 0, 0, 0] : seed;
  if (typeof seed === "number") {
    a = splitmix32(seed);
    b = splitmix32(a);
    c = splitmix32(b);
    d = splitmix32(c);
  }
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fill `data` with Normal(0, std) samples by Marsaglia's polar method (two per accepted pair). */
export function fillNormal(data: Float32Array, next: () => number, std: number): void {
  // The polar method needs one log and one sqrt per pair and no sin/cos: ~2.5x faster than
  // Box–Muller here, and fewer transcendental functions to keep bit-identical across machines.
  for (let i = 0; i < data.length;) {
    const u = next() / 2147483648 - 1; // uniform in [-1, 1)
    const v = next() / 2147483648 - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue; // keep points strictly inside the unit disc
    const scale = Math.sqrt(-2 * Math.log(s) / s) * std;
    data[i++] = u * scale;
    if (i < data.length) data[i++] = v * scale;
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}

function streamSeed(seed: number, name: string): number {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Seed must be a safe integer, got ${seed}`);
  }
  // Mix both 32-bit halves of the seed so seeds above 2^32 differ too.
  const low = seed >>> 0;
  const high = Math.floor(seed / 4294967296) >>> 0;
  return splitmix32(splitmix32(low) ^ splitmix32(high ^ 0x5bd1e995) ^ fnv1a(name));
}

/** Fresh weights for a config, deterministic in the seed (Hugging Face `_init_weights`). */
export function initWeights(config: ModelConfig, seed: number): Weights {
  const layout = modelLayout(config);
  const weights: Weights = new Map();
  for (const spec of layout.tensors) {
    const data = new Float32Array(shapeSize(spec.shape));
    switch (spec.role) {
      case "linear-weight":
      case "embedding": {
        fillNormal(data, xoshiro128ss(streamSeed(seed, spec.name)), config.initializerRange);
        break;
      }
      case "norm-weight":
        data.fill(1);
        break;
      case "bias":
      case "norm-bias":
        break; // already zero
    }
    weights.set(spec.name, data);
  }
  // PyTorch's padding_idx: the pad token's embedding starts (and stays) at zero.
  const pad = config.padTokenId;
  if (pad >= 0 && pad < config.vocabSize) {
    const E = config.embeddingSize;
    weights.get(layout.embeddings.word)!.fill(0, pad * E, (pad + 1) * E);
  }
  return weights;
}

/** A model with seeded random weights, e.g. for benchmarks that need no trained checkpoint. */
export function randomModel(config: ModelConfig, seed: number): Model {
  return makeModel(config, initWeights(config, seed));
}
