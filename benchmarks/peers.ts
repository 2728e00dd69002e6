/**
 * Peer engines `bench --peers` can time beside the WebGPU engine and
 * onnxruntime-node, on the same inputs in the same run. The names are light to
 * import (the CLI checks them); the engines load only when a peer is created.
 */
import type { Backend, EncoderInput } from "../backends/backend.ts";
import type { OnnxWebProvider } from "../backends/onnx_web/engine.ts";
import type { Model } from "../models/model.ts";
import { measureThroughput, type Spread, type Throughput } from "./throughput.ts";

/** Every peer by name: what it runs and its short table label. */
export const PEERS = {
  "ort-web-webgpu": { provider: "webgpu", label: "ORT-web WebGPU" },
  "ort-web-wasm": { provider: "wasm", label: "ORT-web wasm" },
} as const satisfies Record<string, { provider: OnnxWebProvider; label: string }>;

/** A peer engine's name. */
export type PeerName = keyof typeof PEERS;

/** Whether `name` is a known peer. */
export function isPeerName(name: string): name is PeerName {
  return Object.hasOwn(PEERS, name);
}

/** Parse a comma-separated peer list (duplicates dropped); throws naming the known peers. */
export function parsePeers(list: string): PeerName[] {
  const names = [...new Set(list.split(",").map((p) => p.trim()).filter((p) => p.length > 0))];
  const known = Object.keys(PEERS).join(", ");
  if (names.length === 0) throw new Error(`Flag "--peers" lists no peer: known peers are ${known}`);
  for (const name of names) {
    if (!isPeerName(name)) throw new Error(`Unknown peer "${name}": known peers are ${known}`);
  }
  return names as PeerName[];
}

/** The table label of a peer (its name when unknown, e.g. in an old record). */
export function peerLabel(name: string): string {
  return isPeerName(name) ? PEERS[name].label : name;
}

/** Create a peer's backend for a model. */
export async function createPeerBackend(name: PeerName, model: Model): Promise<Backend> {
  const { createOnnxWebBackend } = await import("../backends/onnx_web/engine.ts");
  return createOnnxWebBackend(model, { provider: PEERS[name].provider });
}

/** What the peers add to a model's bench row: nothing at all without peers. */
export interface PeerMeasurement {
  row: { peers?: Record<string, Spread>; webgpuOverPeers?: Record<string, number> };
  details: { peers?: Record<string, Throughput> };
}

/** Time each peer, one at a time, on the batch and repetitions WebGPU was timed on. */
export async function measurePeers(
  names: PeerName[],
  model: Model,
  input: EncoderInput,
  timing: { warmup: number; reps: number; onStep?: () => void },
  webgpu: Throughput,
): Promise<PeerMeasurement> {
  if (names.length === 0) return { row: {}, details: {} };
  const peers: Record<string, Throughput> = {};
  for (const name of names) {
    const backend = await createPeerBackend(name, model);
    peers[name] = await measureThroughput(backend, input, timing).finally(() => backend.dispose());
  }
  const each = <T>(value: (t: Throughput) => T) =>
    Object.fromEntries(names.map((name) => [name, value(peers[name])]));
  return {
    row: {
      peers: each((t) => t.sequencesPerSecond),
      webgpuOverPeers: each((t) => webgpu.sequencesPerSecond.median / t.sequencesPerSecond.median),
    },
    details: { peers },
  };
}
