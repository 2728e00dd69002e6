/**
 * Micro models whose outputs are worked out by hand: one layer, H = 4, a batch
 * of two copies of a 3-token sequence, the first with its last token padded.
 * Any backend can be checked with `checkMicroModel(runBackend)`.
 *
 * The weights keep every hidden vector of the form α·p + β·q with
 * p = [1, -1, 1, -1] and q = [1, 1, -1, -1]. Both have mean 0 and are
 * orthogonal with |p|² = |q|² = 4, so α·p + β·q has mean 0 and variance
 * α² + β², and LayerNorm (weight 1, bias 0) simply divides α and β by
 * √(α² + β² + eps). The expected outputs below track α and β by hand.
 */
import type { EncoderInput, EncoderOutput } from "../backends/backend.ts";
import { parseConfig } from "../models/config.ts";
import { modelLayout, shapeSize } from "../models/layout.ts";
import { makeModel, type Model } from "../models/model.ts";
import { assertClose } from "./_reference_forward.ts";

/** Runs a model on a batch with the engine under test. */
export type RunBackend = (model: Model, input: EncoderInput) => Promise<EncoderOutput>;

/** Per-element tolerance of the micro checks: float32 arithmetic over a few ops. */
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

/** A large LayerNorm eps, so a backend that ignores eps (or uses 1e-12) fails. */
const EPS = 0.5;

const p = [1, -1, 1, -1];
const q = [1, 1, -1, -1];

/** erf(1/√2) = P(|Z| < 1) for a standard normal Z (the "68" of the 68–95–99.7 rule). */
const ERF_1_OVER_SQRT2 = 0.682689492137086;

/** Exact GELU 0.5·x·(1 + erf(x/√2)) at x = 1 and x = -1 (erf is odd). */
const GELU_EXACT_1 = 0.5 * 1 * (1 + ERF_1_OVER_SQRT2);
const GELU_EXACT_MINUS_1 = 0.5 * -1 * (1 - ERF_1_OVER_SQRT2);

/** Tanh GELU 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) at x = ±1. */
const GELU_NEW_1 = 0.5 * 1 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)));
const GELU_NEW_MINUS_1 = 0.5 * -1 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (-1 - 0.044715)));

/**
 * Tokens: ids [1, 2, 0] (0 is the pad token), token types [0, 1, 0]. Row 0
 * masks the last token; row 1 is the same sequence unmasked, which is exactly
 * what row 0 would compute if a backend let the padded key through.
 */
const MASKS = [[1, 1, 0], [1, 1, 1]];
const INPUT: EncoderInput = {
  batchSize: 2,
  seqLen: 3,
  inputIds: Int32Array.of(1, 2, 0, 1, 2, 0),
  tokenTypeIds: Int32Array.of(0, 1, 0, 0, 1, 0),
  attentionMask: Int32Array.from(MASKS.flat()),
};

type Variant = "bert" | "albert";

/**
 * BERT: E = 4, 2 heads, I = 4, exact GELU. ALBERT: E = 2, 1 head, I = 8,
 * gelu_new. Both have a 2-label sequence-classification head.
 */
function microModel(variant: Variant): Model {
  const albert = variant === "albert";
  const config = parseConfig({
    model_type: variant,
    architectures: [albert ? "AlbertForSequenceClassification" : "BertForSequenceClassification"],
    num_labels: 2,
    vocab_size: 5,
    embedding_size: 2,
    hidden_size: 4,
    num_hidden_layers: 1,
    num_attention_heads: albert ? 1 : 2,
    intermediate_size: albert ? 8 : 4,
    hidden_act: albert ? "gelu_new" : "gelu",
    max_position_embeddings: 3,
    type_vocab_size: 2,
    layer_norm_eps: EPS,
  }, `micro-${variant}`);
  const layout = modelLayout(config);
  const weights = new Map<string, Float32Array>();
  for (const spec of layout.tensors) {
    weights.set(spec.name, new Float32Array(shapeSize(spec.shape)));
  }
  const set = (name: string, values: number[]) => weights.get(name)!.set(values);
  const ones = (name: string) => weights.get(name)!.fill(1);

  // Embedding pattern: p in BERT (E = 4), [1, -1] in ALBERT (E = 2).
  const e = albert ? [1, -1] : p;
  const E = e.length;
  const times = (c: number) => e.map((v) => c * v);
  const emb = layout.embeddings;
  // word[0] (pad) = -4e, word[1] = word[2] = e; position[1] = e; token_type[1] = e.
  set(emb.word, [...times(-4), ...times(1), ...times(1)]);
  set(emb.position, [...times(0), ...times(1)]);
  set(emb.tokenType, [...times(0), ...times(1)]);
  ones(emb.norm.weight);
  if (layout.embeddingProjection) {
    // Row i of W is p[i]·[0.5, -0.5], mapping c·[1, -1] to c·p; bias 0.25·p.
    set(layout.embeddingProjection.weight, p.flatMap((v) => [0.5 * v, -0.5 * v]));
    set(layout.embeddingProjection.bias, p.map((v) => 0.25 * v));
  }
  const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const n = layout.layers[0].names;
  // Q = K = 0, so attention is uniform over the unmasked keys; V and the output are identities.
  set(n.value.weight, identity);
  set(n.attentionOutput.weight, identity);
  ones(n.attentionNorm.weight);
  // FFN: W_in = 0 with bias [1, -1, 0, ...], so the activation sees exactly 1 and -1;
  // W_out[i] = q[i]·[1, 1, 0, ...], so the FFN adds (act(1) + act(-1))·q.
  const I = config.intermediateSize;
  set(n.intermediate.bias, [1, -1]);
  set(n.output.weight, q.flatMap((v) => [v, v, ...Array(I - 2).fill(0)]));
  ones(n.outputNorm.weight);
  set(layout.pooler.weight, identity);
  set(layout.pooler.bias, [0.5, 0, 0, 0]);
  set(layout.classifiers[0].weight, [1, 0, 0, 0, 0, 0, 2, 0]);
  set(layout.classifiers[0].bias, [0.1, -0.1]);
  if (E !== config.embeddingSize) throw new Error("Micro model: embedding pattern size mismatch");
  return makeModel(config, weights);
}

/** Expected outputs of a micro model, worked out on the coefficients α (of p) and β (of q). */
function expected(variant: Variant, geluSum: number, masks = MASKS) {
  // Embedding sums are c·e with c = 1 (word 1), 1 + 1 + 1 = 3 (word, position 1, type 1), -4 (pad).
  const c = [1, 3, -4];
  // Embedding LayerNorm of c·e: mean 0, variance c². ALBERT then maps it to p and adds 0.25·p.
  const h = c.map((ct) => ct / Math.sqrt(ct * ct + EPS) + (variant === "albert" ? 0.25 : 0));
  const hidden: number[] = [];
  const pooled: number[] = [];
  const logits: number[] = [];
  for (const mask of masks) {
    // Uniform attention over unmasked keys: the context is their mean (times p).
    const keys = h.filter((_, t) => mask[t] === 1);
    const context = keys.reduce((a, b) => a + b, 0) / keys.length;
    const rows = h.map((ht) => {
      const x = ht + context; // residual + attention output
      const a = x / Math.sqrt(x * x + EPS); // attention LayerNorm
      // Output LayerNorm of a·p + geluSum·q.
      const scale = 1 / Math.sqrt(a * a + geluSum * geluSum + EPS);
      return { alpha: a * scale, beta: geluSum * scale };
    });
    for (const { alpha, beta } of rows) hidden.push(...p.map((pi, i) => alpha * pi + beta * q[i]));
    // Pooler: identity weight, bias [0.5, 0, 0, 0] on the first token, then tanh.
    const first = rows[0];
    const cls = p.map((pi, i) => first.alpha * pi + first.beta * q[i]);
    const pool = [Math.tanh(cls[0] + 0.5), Math.tanh(cls[1]), Math.tanh(cls[2]), Math.tanh(cls[3])];
    pooled.push(...pool);
    // Classifier rows [1, 0, 0, 0] and [0, 0, 2, 0], bias [0.1, -0.1].
    logits.push(pool[0] + 0.1, 2 * pool[2] - 0.1);
  }
  return { lastHiddenState: hidden, pooledOutput: pooled, logits };
}

/** Largest element-wise difference of two equal-length lists. */
function maxDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

/** Check a backend on the BERT (exact GELU) and ALBERT (gelu_new) micro models. */
export async function checkMicroModel(runBackend: RunBackend): Promise<void> {
  const geluSums = {
    bert: GELU_EXACT_1 + GELU_EXACT_MINUS_1,
    albert: GELU_NEW_1 + GELU_NEW_MINUS_1,
  };
  for (const variant of ["bert", "albert"] as const) {
    const want = expected(variant, geluSums[variant]);
    // The check has teeth: the other GELU form, or a leaked padded key, moves the outputs.
    const otherGelu = expected(variant, geluSums[variant === "bert" ? "albert" : "bert"]);
    const leaked = expected(variant, geluSums[variant], [MASKS[1], MASKS[1]]);
    const margin = 10 * TOLERANCE.atol;
    if (maxDiff(want.lastHiddenState, otherGelu.lastHiddenState) < margin) {
      throw new Error(`Micro model "${variant}": the two GELU forms are indistinguishable`);
    }
    if (maxDiff(want.logits, leaked.logits) < margin) {
      throw new Error(`Micro model "${variant}": a leaked padded key would go unnoticed`);
    }
    const got = await runBackend(microModel(variant), INPUT);
    for (const key of ["lastHiddenState", "pooledOutput", "logits"] as const) {
      assertClose(got[key], want[key], { ...TOLERANCE, label: `Micro model "${variant}" ${key}` });
    }
  }
}
