/**
 * The binary tensor data extension written from its text (triton-inference-server/server
 * docs/protocol/extension_binary_data.md), independently of the server's codec, so the tests hold the
 * server to the spec rather than to itself:
 * - tensor data is little-endian, row-major, no stride or padding; every type in its native size;
 *   BOOL one byte (1 or 0); BYTES elements a 4-byte unsigned length followed by the bytes;
 * - an input sent as binary has `parameters.binary_data_size` (and no `data`); an output asked for as
 *   binary (`binary_data` on it, else `binary_data_output` on the request) comes back with
 *   `parameters.binary_data_size` and no `data`;
 * - the body is the JSON object followed by the binary tensors in the order of the tensors in the JSON;
 *   `Inference-Header-Content-Length` gives the JSON object's length.
 */

/** Bytes per element of each fixed-size datatype. */
export const ELEMENT_SIZE: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

/** One tensor's values, row-major, as the binary extension lays them out. */
export function tensorBytes(datatype: string, values: readonly (number | string | boolean)[]): Buffer {
  if (datatype === "BYTES") {
    return Buffer.concat(
      values.map((v) => {
        const text = Buffer.from(String(v), "utf8");
        const length = Buffer.alloc(4);
        length.writeUInt32LE(text.length, 0);
        return Buffer.concat([length, text]);
      }),
    );
  }
  const size = ELEMENT_SIZE[datatype];
  if (size === undefined) throw new Error(`no binary layout for ${datatype}`);
  const out = Buffer.alloc(values.length * size);
  values.forEach((v, k) => {
    const at = k * size;
    const n = Number(v);
    switch (datatype) {
      case "BOOL":
        return out.writeUInt8(v ? 1 : 0, at);
      case "UINT8":
        return out.writeUInt8(n, at);
      case "UINT16":
        return out.writeUInt16LE(n, at);
      case "UINT32":
        return out.writeUInt32LE(n, at);
      case "UINT64":
        return out.writeBigUInt64LE(BigInt(n), at);
      case "INT8":
        return out.writeInt8(n, at);
      case "INT16":
        return out.writeInt16LE(n, at);
      case "INT32":
        return out.writeInt32LE(n, at);
      case "INT64":
        return out.writeBigInt64LE(BigInt(n), at);
      case "FP16":
        return out.writeUInt16LE(toHalf(n), at);
      case "FP32":
        return out.writeFloatLE(n, at);
      case "FP64":
        return out.writeDoubleLE(n, at);
      default:
        throw new Error(`cannot write ${datatype} values`);
    }
  });
  return out;
}

/** IEEE 754 half precision bits of `n`, truncated; values past the largest half become infinity. */
function toHalf(n: number): number {
  const bits = new Uint32Array(Float32Array.of(n).buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  if (Number.isNaN(n)) return 0x7e00;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent < -10) return sign;
  // Subnormal: the implicit leading 1 shifted into the fraction.
  if (exponent <= 0) return sign | (((bits & 0x7fffff) | 0x800000) >>> (14 - exponent));
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | ((bits & 0x7fffff) >>> 13);
}

/** The values of one binary tensor. */
export function readTensor(datatype: string, bytes: Buffer): (number | string | boolean)[] {
  const values: (number | string | boolean)[] = [];
  if (datatype === "BYTES") {
    for (let at = 0; at < bytes.length;) {
      const length = bytes.readUInt32LE(at);
      values.push(bytes.subarray(at + 4, at + 4 + length).toString("utf8"));
      at += 4 + length;
    }
    return values;
  }
  const size = ELEMENT_SIZE[datatype];
  if (size === undefined || bytes.length % size !== 0) throw new Error(`bad ${datatype} tensor`);
  for (let at = 0; at < bytes.length; at += size) {
    switch (datatype) {
      case "BOOL":
        values.push(bytes.readUInt8(at) !== 0);
        break;
      case "UINT8":
        values.push(bytes.readUInt8(at));
        break;
      case "UINT16":
        values.push(bytes.readUInt16LE(at));
        break;
      case "UINT32":
        values.push(bytes.readUInt32LE(at));
        break;
      case "UINT64":
        values.push(Number(bytes.readBigUInt64LE(at)));
        break;
      case "INT8":
        values.push(bytes.readInt8(at));
        break;
      case "INT16":
        values.push(bytes.readInt16LE(at));
        break;
      case "INT32":
        values.push(bytes.readInt32LE(at));
        break;
      case "INT64":
        values.push(Number(bytes.readBigInt64LE(at)));
        break;
      case "FP32":
        values.push(bytes.readFloatLE(at));
        break;
      case "FP64":
        values.push(bytes.readDoubleLE(at));
        break;
      default:
        throw new Error(`cannot read ${datatype} values`);
    }
  }
  return values;
}

/** An input tensor for {@link binaryRequest}: sent as binary unless `json` is set. */
export interface InputTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly values: readonly (number | string | boolean)[];
  readonly json?: boolean;
}

/**
 * A binary inference request: the JSON header (with `binary_data_size` on each binary input and no
 * `data`) followed by each binary input's bytes, in input order.
 */
export function binaryRequest(request: Record<string, unknown> & { inputs: readonly InputTensor[] }): {
  body: Buffer;
  headerLength: number;
} {
  const tensors: Buffer[] = [];
  const inputs = request.inputs.map(({ name, shape, datatype, values, json }) => {
    if (json) return { name, shape, datatype, data: values };
    const bytes = tensorBytes(datatype, values);
    tensors.push(bytes);
    return { name, shape, datatype, parameters: { binary_data_size: bytes.length } };
  });
  const header = Buffer.from(JSON.stringify({ ...request, inputs }), "utf8");
  return { body: Buffer.concat([header, ...tensors]), headerLength: header.length };
}

/** An output as the tests compare them: name, datatype, shape and values, however they travelled. */
export interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

/** A decoded inference response, and which of its outputs came as binary data. */
export interface DecodedResponse {
  readonly json: Record<string, unknown> & { outputs: OutputTensor[] };
  readonly binaryOutputs: readonly string[];
}

/**
 * Reads an inference response the way a client of the extension does: without
 * `Inference-Header-Content-Length` the body is all JSON; with it, the JSON is that many bytes and each
 * output with `parameters.binary_data_size` takes its bytes, in order, from what follows.
 *
 * @throws Error if the binary sizes do not add up to the body exactly.
 */
export function decodeResponse(body: Buffer, headerLength: string | null): DecodedResponse {
  if (headerLength === null) {
    return { json: JSON.parse(body.toString("utf8")) as DecodedResponse["json"], binaryOutputs: [] };
  }
  const length = Number(headerLength);
  const json = JSON.parse(body.subarray(0, length).toString("utf8")) as Record<string, unknown> & {
    outputs: (Omit<OutputTensor, "data"> & {
      data?: unknown[];
      parameters?: { binary_data_size?: number };
    })[];
  };
  const binaryOutputs: string[] = [];
  let at = length;
  const outputs = json.outputs.map((output) => {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) return output as OutputTensor;
    if (output.data !== undefined) throw new Error(`binary output ${output.name} also has data`);
    binaryOutputs.push(output.name);
    const data = readTensor(output.datatype, body.subarray(at, at + size));
    at += size;
    const { parameters: _parameters, ...rest } = output;
    return { ...rest, data };
  });
  if (at !== body.length)
    throw new Error(`binary outputs take ${at - length} bytes, ${body.length - length} follow`);
  return { json: { ...json, outputs }, binaryOutputs };
}
