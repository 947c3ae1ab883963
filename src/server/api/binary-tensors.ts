/**
 * The binary tensor data extension of the Open Inference Protocol (Triton's `binary_tensor_data`, which
 * KServe and `tritonclient.http` speak by default): the HTTP body is the JSON inference request or response
 * followed by raw tensors, little-endian, row-major, without padding. `Inference-Header-Content-Length`
 * gives the length of the JSON part; an input carries `parameters.binary_data_size` instead of `data`; an
 * output sent as binary carries `parameters.binary_data_size` and no `data`. BYTES elements are a 4-byte
 * little-endian length followed by the bytes.
 *
 * This module only translates between bytes and the JSON forms: a binary request becomes the JSON request
 * it stands for (each binary input's values spliced in as `data`), so the one JSON validation and inference
 * path decides everything else, with the same messages. Which datatypes the model accepts is not decided
 * here either: every OIP datatype is decoded, and the V2 validation refuses the ones the model does not take.
 */
import { ERROR_TYPES } from "../../contract/index.js";
import { ApiError } from "./errors.js";
import { invalidInput } from "./validation.js";

/** Request and response header giving the length in bytes of the JSON part of a binary body. */
export const INFERENCE_HEADER_CONTENT_LENGTH = "Inference-Header-Content-Length";

/** The extension's name in `GET /v2` `extensions`. */
export const BINARY_TENSOR_DATA_EXTENSION = "binary_tensor_data";

/** Media type of a body carrying binary tensors, both ways. */
export const BINARY_MEDIA_TYPE = "application/octet-stream";

type Reader = (view: DataView, offset: number) => number | boolean;
type Writer = (view: DataView, offset: number, value: number) => void;

interface FixedLayout {
  readonly size: number;
  readonly read: Reader;
  readonly write?: Writer;
}

/** Every fixed-size OIP datatype, with its element size and little-endian accessors. */
const FIXED_LAYOUTS: Readonly<Record<string, FixedLayout>> = {
  BOOL: { size: 1, read: (v, o) => v.getUint8(o) !== 0 },
  UINT8: { size: 1, read: (v, o) => v.getUint8(o), write: (v, o, x) => v.setUint8(o, x) },
  UINT16: { size: 2, read: (v, o) => v.getUint16(o, true), write: (v, o, x) => v.setUint16(o, x, true) },
  UINT32: { size: 4, read: (v, o) => v.getUint32(o, true), write: (v, o, x) => v.setUint32(o, x, true) },
  // 64-bit integers past 2^53 become the nearest double; the V2 validation refuses them as out of range.
  UINT64: {
    size: 8,
    read: (v, o) => Number(v.getBigUint64(o, true)),
    write: (v, o, x) => v.setBigUint64(o, BigInt(x), true),
  },
  INT8: { size: 1, read: (v, o) => v.getInt8(o), write: (v, o, x) => v.setInt8(o, x) },
  INT16: { size: 2, read: (v, o) => v.getInt16(o, true), write: (v, o, x) => v.setInt16(o, x, true) },
  INT32: { size: 4, read: (v, o) => v.getInt32(o, true), write: (v, o, x) => v.setInt32(o, x, true) },
  INT64: {
    size: 8,
    read: (v, o) => Number(v.getBigInt64(o, true)),
    // Two's complement from two 32-bit halves: exact for safe integers, and no BigInt per element.
    write: (v, o, x) => {
      v.setUint32(o, x >>> 0, true);
      v.setInt32(o + 4, Math.floor(x / 2 ** 32), true);
    },
  },
  FP16: { size: 2, read: (v, o) => halfToNumber(v.getUint16(o, true)) },
  FP32: { size: 4, read: (v, o) => v.getFloat32(o, true), write: (v, o, x) => v.setFloat32(o, x, true) },
  FP64: { size: 8, read: (v, o) => v.getFloat64(o, true), write: (v, o, x) => v.setFloat64(o, x, true) },
};
const KNOWN_DATATYPES = [...Object.keys(FIXED_LAYOUTS), "BYTES"].join(", ");

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/**
 * Whether a request uses the extension: it names the JSON length in `Inference-Header-Content-Length`
 * (what `tritonclient.http` sends, with no Content-Type), or says `application/octet-stream` (the `kserve`
 * client). Any other request is plain JSON.
 */
export function isBinaryRequest(headerLength: string | undefined, contentType: string | undefined): boolean {
  if (headerLength !== undefined) return true;
  return contentType !== undefined && mediaType(contentType) === BINARY_MEDIA_TYPE;
}

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/**
 * The JSON inference request a binary body stands for: the JSON header parsed, and each input that
 * declares `parameters.binary_data_size` given the values of its bytes as `data`, in row-major order.
 * Without `Inference-Header-Content-Length` the whole body is the JSON header (as Triton reads it).
 *
 * @throws ApiError 400 for a header length that is not a length within the body, a header that is not
 *   JSON, a `binary_data_size` that disagrees with the input's shape and datatype, binary data that
 *   ends early or bytes left over after the last binary input. The message names the input.
 *
 * A tensor with more than `maxElements` values is checked but not read: it is given `data: []`, and the
 * shape check that follows refuses it as it would refuse the same tensor sent as JSON (a 1-byte type
 * would otherwise turn each byte of a large body into a JS number).
 *
 * @example
 * const body = new Uint8Array(await c.req.arrayBuffer());
 * const request = decodeBinaryRequest(body, c.req.header("inference-header-content-length"));
 */
export function decodeBinaryRequest(
  body: Uint8Array,
  headerLengthText: string | undefined,
  { maxElements = Number.POSITIVE_INFINITY }: { readonly maxElements?: number } = {},
): unknown {
  const headerLength = parseHeaderLength(headerLengthText, body.byteLength);
  let text: string;
  let header: unknown;
  try {
    text = strictUtf8.decode(body.subarray(0, headerLength));
    header = JSON.parse(text);
  } catch {
    throw new ApiError(
      400,
      ERROR_TYPES.invalidJson,
      `the inference header (the first ${headerLength} bytes of the body) is not valid JSON`,
    );
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let offset = headerLength;
  const inputs = isRecord(header) && Array.isArray(header.inputs) ? header.inputs : [];
  const decoded = inputs.map((input: unknown, i: number) => {
    const size = binaryDataSize(input, i);
    if (size === undefined) return input;
    const tensor = input as Record<string, unknown>;
    const at = `inputs[${i}]`;
    if (tensor.data !== undefined) {
      throw problem(at, "has both data and parameters.binary_data_size; send its values one way");
    }
    const left = body.byteLength - offset;
    if (size > left) {
      throw problem(
        `${at}.parameters.binary_data_size`,
        `is ${size} bytes but only ${left} bytes of binary data follow${i > 0 ? " the inputs before it" : " the header"}`,
      );
    }
    const data = decodeTensor(tensor, view, offset, size, at, maxElements);
    offset += size;
    return { ...tensor, data };
  });
  if (offset !== body.byteLength) {
    const extra = body.byteLength - offset;
    throw invalidInput([
      {
        path: "",
        message: `${extra} bytes follow the binary data of the inputs; the binary_data_size of the inputs must add up to the body after the ${headerLength}-byte header`,
      },
    ]);
  }
  return inputs.length > 0 ? { ...(header as Record<string, unknown>), inputs: decoded } : header;
}

function parseHeaderLength(text: string | undefined, bodyLength: number): number {
  if (text === undefined) return bodyLength;
  const value = /^\s*\d{1,15}\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1)) {
    throw invalidInput([
      {
        path: "",
        message: `${INFERENCE_HEADER_CONTENT_LENGTH} must be the length in bytes of the JSON inference header (at least 1), got ${JSON.stringify(text.slice(0, 40))}`,
      },
    ]);
  }
  if (value > bodyLength) {
    throw invalidInput([
      {
        path: "",
        message: `${INFERENCE_HEADER_CONTENT_LENGTH} is ${value} but the body has only ${bodyLength} bytes`,
      },
    ]);
  }
  return value;
}

/** The input's `parameters.binary_data_size`, checked, or undefined when it sends its data as JSON. */
function binaryDataSize(input: unknown, i: number): number | undefined {
  if (!isRecord(input) || !isRecord(input.parameters)) return undefined;
  const size = input.parameters.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw problem(
      `inputs[${i}].parameters.binary_data_size`,
      `must be a whole number of bytes, got ${JSON.stringify(size)}`,
    );
  }
  return size;
}

/** The values of one binary input, row-major, after checking its size against shape and datatype. */
function decodeTensor(
  tensor: Record<string, unknown>,
  view: DataView,
  offset: number,
  size: number,
  at: string,
  maxElements: number,
): (number | boolean | string)[] {
  const { datatype, shape } = tensor;
  if (typeof datatype !== "string") throw problem(`${at}.datatype`, "is required to read binary data");
  if (
    !Array.isArray(shape) ||
    !shape.every((d): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw problem(`${at}.shape`, "must be a list of non-negative integers to read binary data");
  }
  let count = 1;
  for (const d of shape) count = Math.min(count * d, Number.MAX_SAFE_INTEGER);
  const shapeText = `[${shape.join(", ")}]`;

  if (datatype === "BYTES") {
    if (count > maxElements) return [];
    return decodeBytes(view, offset, size, count, `${at}.parameters.binary_data_size`);
  }
  const layout = FIXED_LAYOUTS[datatype];
  if (!layout) {
    throw problem(
      `${at}.datatype`,
      `${JSON.stringify(datatype)} is not a datatype of the protocol; binary data can be ${KNOWN_DATATYPES}`,
    );
  }
  if (count * layout.size !== size) {
    throw problem(
      `${at}.parameters.binary_data_size`,
      `shape ${shapeText} of ${datatype} needs ${count * layout.size} bytes (${count} × ${layout.size}), got ${size}`,
    );
  }
  if (count > maxElements) return [];
  const values = new Array<number | boolean>(count);
  for (let k = 0; k < count; k++) values[k] = layout.read(view, offset + k * layout.size);
  return values;
}

function decodeBytes(view: DataView, start: number, size: number, count: number, at: string): string[] {
  const out: string[] = [];
  const end = start + size;
  let offset = start;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  while (offset < end) {
    if (end - offset < 4 || out.length >= count) break;
    const length = view.getUint32(offset, true);
    if (length > end - offset - 4) break;
    out.push(lenientUtf8.decode(bytes.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  if (offset !== end || out.length !== count) {
    throw problem(
      at,
      `must hold exactly ${count} BYTES elements, each a 4-byte little-endian length and its bytes`,
    );
  }
  return out;
}

/** One output of a response, as the JSON path builds it. */
export interface ResponseTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly (number | string)[];
}

/**
 * A V2 inference response with the outputs flagged in `binary` moved behind the JSON as binary tensors,
 * each given `parameters.binary_data_size` instead of `data`. `headerLength` is the byte length of the
 * JSON part, for `Inference-Header-Content-Length`.
 *
 * @example
 * const { body, headerLength } = encodeBinaryResponse(response, [true, false, true]);
 */
export function encodeBinaryResponse<R extends { outputs: readonly ResponseTensor[] }>(
  response: R,
  binary: readonly boolean[],
): { body: Uint8Array; headerLength: number } {
  const tensors: Uint8Array[] = [];
  const outputs = response.outputs.map((output, i) => {
    if (!binary[i]) return output;
    const bytes = encodeTensor(output);
    tensors.push(bytes);
    const { data: _data, ...described } = output;
    return { ...described, parameters: { binary_data_size: bytes.byteLength } };
  });
  const header = utf8.encode(JSON.stringify({ ...response, outputs }));
  let total = header.byteLength;
  for (const t of tensors) total += t.byteLength;
  const body = new Uint8Array(total);
  body.set(header, 0);
  let offset = header.byteLength;
  for (const t of tensors) {
    body.set(t, offset);
    offset += t.byteLength;
  }
  return { body, headerLength: header.byteLength };
}

function encodeTensor({ name, datatype, data }: ResponseTensor): Uint8Array {
  if (datatype === "BYTES") {
    // Outputs repeat a few strings (class names) many times: encode each distinct one once.
    const encoded = new Map<string, Uint8Array>();
    const elements = data.map((value) => {
      const text = String(value);
      let bytes = encoded.get(text);
      if (!bytes) encoded.set(text, (bytes = utf8.encode(text)));
      return bytes;
    });
    const out = new Uint8Array(elements.reduce((n, e) => n + 4 + e.byteLength, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const e of elements) {
      view.setUint32(offset, e.byteLength, true);
      out.set(e, offset + 4);
      offset += 4 + e.byteLength;
    }
    return out;
  }
  const layout = FIXED_LAYOUTS[datatype];
  if (!layout?.write) throw new Error(`no binary encoding for output ${name} of type ${datatype}`);
  const out = new Uint8Array(data.length * layout.size);
  const view = new DataView(out.buffer);
  for (let k = 0; k < data.length; k++) layout.write(view, k * layout.size, data[k] as number);
  return out;
}

/** IEEE 754 half precision to a double. */
function halfToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function problem(path: string, message: string): ApiError {
  return invalidInput([{ path, message }]);
}
