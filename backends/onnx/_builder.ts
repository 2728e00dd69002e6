/**
 * A small ONNX graph builder over `onnx-proto`: nodes with generated output
 * names, float32 and int64 initializers (each stored once), and the
 * serialisation of the finished ModelProto. It knows nothing about models.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** ONNX opset the graphs target: 17 is the first with `LayerNormalization`. */
export const OPSET = 17;

/** ONNX tensor element types the graphs use. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** Attribute values a node may carry. */
export type AttributeValue = number | number[] | { int: number };

/** One graph input or output: name, element type and dims (strings are symbolic). */
export interface ValueSpec {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

/** Accumulates nodes and initializers, then serialises a ModelProto. */
export class GraphBuilder {
  #nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  #initializers = new Map<string, InstanceType<typeof onnx.TensorProto>>();
  #counter = 0;

  /** Add a node and return its output name, generated from the op. */
  node(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.named(op, inputs, `${op}_${this.#counter++}`, attributes);
  }

  /** Add a node whose output has a chosen name (a graph output); returns that name. */
  named(
    op: string,
    inputs: string[],
    output: string,
    attributes: Record<string, AttributeValue> = {},
  ): string {
    this.#nodes.push(onnx.NodeProto.create({
      opType: op,
      name: `${op}_${this.#nodes.length}_${output}`,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    }));
    return output;
  }

  /** Whether an initializer of this name exists. */
  has(name: string): boolean {
    return this.#initializers.has(name);
  }

  /** A float32 initializer, stored once per name; returns the name. */
  float(name: string, dims: number[], data: Float32Array): string {
    if (!this.#initializers.has(name)) {
      this.#initializers.set(name, tensor(name, dims, DataType.FLOAT, bytesOf(data)));
    }
    return name;
  }

  /** An int64 initializer, stored once per name; returns the name. */
  int64(name: string, dims: number[], values: number[]): string {
    if (!this.#initializers.has(name)) {
      const data = BigInt64Array.from(values, (v) => BigInt(v));
      this.#initializers.set(name, tensor(name, dims, DataType.INT64, bytesOf(data)));
    }
    return name;
  }

  /** A float32 scalar constant, named by its value so equal constants are shared. */
  scalar(value: number): string {
    return this.float(`const_f32_${value}`, [], Float32Array.of(value));
  }

  /** A 1-D int64 constant, named by its values so equal constants are shared. */
  ints(values: number[]): string {
    return this.int64(`const_i64_${values.join("_")}`, [values.length], values);
  }

  /** Serialise the graph with the given inputs and outputs as an ONNX model. */
  build(name: string, inputs: ValueSpec[], outputs: ValueSpec[]): Uint8Array {
    const graph = onnx.GraphProto.create({
      name,
      node: this.#nodes,
      initializer: [...this.#initializers.values()],
      input: inputs.map(valueInfo),
      output: outputs.map(valueInfo),
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "albert-pals-harness",
      opsetImport: [{ domain: "", version: OPSET }],
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian, as are the typed arrays on every platform Deno runs on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function tensor(name: string, dims: number[], dataType: number, rawData: Uint8Array) {
  return onnx.TensorProto.create({ name, dims, dataType, rawData });
}

function attribute(name: string, value: AttributeValue) {
  const { AttributeType } = onnx.AttributeProto;
  if (Array.isArray(value)) {
    return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  }
  // Plain numbers are FLOAT attributes (epsilon, alpha); integers are wrapped as `{int}`.
  if (typeof value === "number") {
    return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value });
  }
  return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value.int });
}

function valueInfo(spec: ValueSpec) {
  return onnx.ValueInfoProto.create({
    name: spec.name,
    type: {
      tensorType: {
        elemType: spec.elemType,
        shape: {
          dim: spec.dims.map((d) => typeof d === "string" ? { dimParam: d } : { dimValue: d }),
        },
      },
    },
  });
}
