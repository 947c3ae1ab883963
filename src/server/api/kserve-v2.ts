/**
 * Open Inference Protocol (KServe V2) REST, per kserve/docs/predict-api/v2/required_api.md: server and
 * model metadata, health, and `POST /v2/models/<name>[/versions/<v>]/infer` with tensors in and out.
 *
 * The model has one input tensor, `[N, 4]`, accepted as FP32, FP64 or any integer type, with data flat
 * (`N×4` numbers) or nested (`N` lists of 4). The input's name is not checked — the model has only one,
 * and KServe clients name it differently (`input-0`, `input_1`…). It answers up to three outputs:
 * `class_index` (INT64 `[N]`), `class_name` (BYTES `[N]`) and `probabilities` (FP32 `[N, classes]`),
 * all of them unless the request's `outputs` names some. `output-0`, the name KServe's scikit-learn
 * runtime gives its prediction, may be asked for by name and answers the class index.
 *
 * Tensors may also travel as binary data (see `binary-tensors.ts`): the request's `binary_data_output`
 * and each requested output's `binary_data` parameter choose which outputs are sent that way.
 */
import { z } from "@hono/zod-openapi";
import type { InferenceResult } from "../inference-engine.js";
import { tooManyRows } from "./errors.js";
import { FLOAT32_MAX, type ServedModel } from "./rows.js";
import { invalidInput, kindOf } from "./validation.js";

/** Name published for the model's single input tensor (KServe's convention). */
export const V2_INPUT_NAME = "input-0";

/**
 * Platform string in model metadata. The protocol allows only a fixed list of `<project>_<format>` names
 * (tensorrt_plan, tensorflow_savedmodel, onnx_onnxv1…), none of which is a TensorFlow.js layers model, and
 * calls the field "information only"; KServe's own runtimes answer "". So do we, rather than name a
 * platform the model is not; `GET /info` describes the runtime.
 */
export const V2_PLATFORM = "";

/** Output tensors the model can answer, in the order they are returned by default. */
export const V2_OUTPUTS = ["class_index", "class_name", "probabilities"] as const;
export type V2OutputName = (typeof V2_OUTPUTS)[number];

/**
 * Other names an output may be requested by, answered under the name requested. `output-0` is what
 * KServe's scikit-learn runtime calls its prediction (the class index for a classifier), so requests
 * written for it (`"outputs": [{"name": "output-0"}]`) work unchanged. Aliases are never returned unasked
 * and are not listed in model metadata, which lists each tensor once.
 */
export const V2_OUTPUT_ALIASES: Readonly<Record<string, V2OutputName>> = { "output-0": "class_index" };

/** One output to answer: the name it was asked by, the tensor behind it, and whether it goes as binary. */
export interface V2RequestedOutput {
  readonly name: string;
  readonly tensor: V2OutputName;
  readonly binary: boolean;
}

const OUTPUT_NAMES = new Map<string, V2OutputName>([
  ...V2_OUTPUTS.map((name) => [name, name] as const),
  ...Object.entries(V2_OUTPUT_ALIASES),
]);
const OUTPUT_LIST = `${V2_OUTPUTS.join(", ")} (and ${Object.entries(V2_OUTPUT_ALIASES)
  .map(([alias, name]) => `${alias}, another name for ${name}`)
  .join("; ")})`;

interface NumericType {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
}

/** Tensor data types accepted for the input, with the values each may carry. */
const INPUT_DATATYPES: Readonly<Record<string, NumericType>> = {
  FP32: { integer: false, min: -FLOAT32_MAX, max: FLOAT32_MAX },
  // The model computes in float32 either way; FP64 values outside its range cannot be represented.
  FP64: { integer: false, min: -FLOAT32_MAX, max: FLOAT32_MAX },
  INT8: { integer: true, min: -128, max: 127 },
  INT16: { integer: true, min: -32_768, max: 32_767 },
  INT32: { integer: true, min: -2_147_483_648, max: 2_147_483_647 },
  INT64: { integer: true, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  UINT8: { integer: true, min: 0, max: 255 },
  UINT16: { integer: true, min: 0, max: 65_535 },
  UINT32: { integer: true, min: 0, max: 4_294_967_295 },
  UINT64: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
};
const ACCEPTED_DATATYPES = Object.keys(INPUT_DATATYPES).join(", ");

const parameters = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .openapi("V2Parameters", {
    description:
      "Name/value pairs. Those of the binary tensor data extension are understood: `binary_data_output` " +
      "(request: send every output as binary data), `binary_data` (requested output: this one, overriding " +
      "`binary_data_output`), `binary_data_size` (input or output: the size of its binary data). Others are ignored.",
  });

const tensorMetadata = z
  .object({
    name: z.string(),
    datatype: z.string(),
    shape: z.array(z.number().int()).openapi({ description: "-1 marks a variable-size dimension." }),
  })
  .openapi("V2TensorMetadata");

/** Schemas of the V2 endpoints. */
export const v2Schemas = {
  serverMetadata: z
    .object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) })
    .openapi("V2ServerMetadata"),
  live: z.object({ live: z.boolean() }).openapi("V2ServerLive"),
  ready: z.object({ ready: z.boolean() }).openapi("V2ServerReady"),
  modelReady: z.object({ name: z.string(), ready: z.boolean() }).openapi("V2ModelReady"),
  modelMetadata: z
    .object({
      name: z.string(),
      versions: z.array(z.string()),
      platform: z.string(),
      inputs: z.array(tensorMetadata),
      outputs: z.array(tensorMetadata),
    })
    .openapi("V2ModelMetadata"),
  inferenceRequest: z
    .object({
      id: z.string().optional().openapi({ description: "Echoed in the response; the request id if absent." }),
      parameters: parameters.optional(),
      inputs: z
        .array(
          z
            .object({
              name: z.string(),
              shape: z.array(z.number().int().nonnegative()),
              datatype: z.string(),
              parameters: parameters.optional(),
              data: z
                .array(z.unknown())
                .openapi({ description: "Row-major values, flat or nested like the shape." }),
            })
            .openapi("V2RequestInput"),
        )
        .openapi({ description: "Exactly one tensor of shape [N, 4]." }),
      outputs: z
        .array(z.object({ name: z.string(), parameters: parameters.optional() }).openapi("V2RequestOutput"))
        .optional()
        .openapi({ description: `Outputs to return: any of ${OUTPUT_LIST}; all but aliases when absent.` }),
    })
    .openapi("V2InferenceRequest", {
      example: {
        id: "42",
        inputs: [{ name: V2_INPUT_NAME, shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
      },
    }),
  inferenceResponse: z
    .object({
      model_name: z.string(),
      model_version: z.string(),
      id: z.string(),
      outputs: z.array(
        z
          .object({
            name: z.string(),
            shape: z.array(z.number().int()),
            datatype: z.string(),
            parameters: parameters.optional().openapi({
              description: "`binary_data_size` when the output is sent as binary data after the JSON.",
            }),
            data: z
              .array(z.union([z.number(), z.string()]))
              .optional()
              .openapi({ description: "Absent when the output is sent as binary data." }),
          })
          .openapi("V2ResponseOutput"),
      ),
    })
    .openapi("V2InferenceResponse"),
};

export type V2InferenceRequest = z.infer<typeof v2Schemas.inferenceRequest>;
export type V2InferenceResponse = z.infer<typeof v2Schemas.inferenceResponse>;
/** One output tensor of a response as the JSON path builds it, always with its data. */
export interface V2ResponseOutput {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string)[];
}
export type V2ModelMetadata = z.infer<typeof v2Schemas.modelMetadata>;

/** The model metadata answer for `model`. */
export function v2ModelMetadata(model: ServedModel): V2ModelMetadata {
  return {
    name: model.name,
    versions: [model.version],
    platform: V2_PLATFORM,
    inputs: [{ name: V2_INPUT_NAME, datatype: "FP32", shape: [-1, model.featureNames.length] }],
    outputs: [
      { name: "class_index", datatype: "INT64", shape: [-1] },
      { name: "class_name", datatype: "BYTES", shape: [-1] },
      { name: "probabilities", datatype: "FP32", shape: [-1, model.classNames.length] },
    ],
  };
}

type V2Input = V2InferenceRequest["inputs"][number];

/**
 * Checks the request's input tensor against the model and packs it for the engine.
 *
 * @throws ApiError 400 naming the field (`inputs[0].shape`, `inputs[0].data[3][1]`…), 413 past `maxRowsPerRequest`.
 */
export function v2InputRows(
  request: V2InferenceRequest,
  featureCount: number,
  maxRowsPerRequest: number,
): { features: Float32Array; rows: number } {
  const { input, type, rows } = v2InputTensor(request, featureCount, maxRowsPerRequest);
  return { features: v2InputFeatures(input, type, rows, featureCount), rows };
}

const fail = (path: string, message: string) => invalidInput([{ path, message }]);

/** The one input tensor, its datatype and row count, checked against the model; its data not yet read. */
function v2InputTensor(
  request: V2InferenceRequest,
  featureCount: number,
  maxRowsPerRequest: number,
): { input: V2Input; type: NumericType; rows: number } {
  if (request.inputs.length !== 1) {
    throw fail(
      "inputs",
      `the model takes exactly one input tensor of shape [N, ${featureCount}], got ${request.inputs.length}`,
    );
  }
  const input = request.inputs[0] as V2Input;
  const at = "inputs[0]";
  const type = INPUT_DATATYPES[input.datatype];
  if (!type) {
    throw fail(
      `${at}.datatype`,
      `${JSON.stringify(input.datatype)} is not accepted; use one of ${ACCEPTED_DATATYPES}`,
    );
  }
  const { shape } = input;
  if (shape.length !== 2 || shape[1] !== featureCount) {
    throw fail(
      `${at}.shape`,
      `must be [N, ${featureCount}] (N rows of ${featureCount} features), got [${shape.join(", ")}]`,
    );
  }
  const rows = shape[0] as number;
  if (rows < 1) throw fail(`${at}.shape`, `must have at least one row, got [${shape.join(", ")}]`);
  if (rows > maxRowsPerRequest) throw tooManyRows(`${at}.shape`, rows, maxRowsPerRequest);
  return { input, type, rows };
}

/** The input's data, flat or nested by row, checked value by value and packed into one Float32Array. */
function v2InputFeatures(
  input: V2Input,
  type: NumericType,
  rows: number,
  featureCount: number,
): Float32Array {
  const at = "inputs[0]";
  const { shape, data } = input;
  const features = new Float32Array(rows * featureCount);
  const check = (value: unknown, path: string): number => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw fail(path, `must be a finite number, got ${typeof value === "number" ? value : kindOf(value)}`);
    }
    if ((type.integer && !Number.isInteger(value)) || value < type.min || value > type.max) {
      const kind = type.integer ? "integers" : "numbers";
      throw fail(
        path,
        `${input.datatype} values must be ${kind} from ${type.min} to ${type.max}, got ${value}`,
      );
    }
    return value;
  };
  const nested = data.length === rows && data.every(Array.isArray);
  if (nested) {
    for (let r = 0; r < rows; r++) {
      const row = data[r] as unknown[];
      if (row.length !== featureCount) {
        throw fail(`${at}.data[${r}]`, `must have ${featureCount} values, got ${row.length}`);
      }
      for (let f = 0; f < featureCount; f++)
        features[r * featureCount + f] = check(row[f], `${at}.data[${r}][${f}]`);
    }
  } else {
    if (data.length !== features.length) {
      throw fail(
        `${at}.data`,
        `shape [${shape.join(", ")}] needs ${features.length} values (flat) or ${rows} lists of ${featureCount} (nested), got ${data.length} items`,
      );
    }
    for (let i = 0; i < features.length; i++) features[i] = check(data[i], `${at}.data[${i}]`);
  }
  return features;
}

/**
 * The outputs to answer, in request order, or all of them when the request names none; each flagged
 * binary or not by the binary tensor data extension: an output's `binary_data` parameter when it has
 * one, else the request's `binary_data_output`, else JSON.
 *
 * @throws ApiError 400 for an unknown or repeated output name, or a binary flag that is not a boolean.
 */
export function v2RequestedOutputs(request: V2InferenceRequest): readonly V2RequestedOutput[] {
  const allBinary = flag(request.parameters, "binary_data_output", "parameters") ?? false;
  if (!request.outputs || request.outputs.length === 0) {
    return V2_OUTPUTS.map((name) => ({ name, tensor: name, binary: allBinary }));
  }
  const outputs: V2RequestedOutput[] = [];
  for (const [i, { name, parameters: params }] of request.outputs.entries()) {
    const tensor = OUTPUT_NAMES.get(name);
    if (!tensor) {
      throw invalidInput([
        {
          path: `outputs[${i}].name`,
          message: `unknown output ${JSON.stringify(name)}; this model produces ${OUTPUT_LIST}`,
        },
      ]);
    }
    if (outputs.some((o) => o.name === name)) {
      throw invalidInput([
        { path: `outputs[${i}].name`, message: `${JSON.stringify(name)} is requested twice` },
      ]);
    }
    const binary = flag(params, "binary_data", `outputs[${i}].parameters`) ?? allBinary;
    outputs.push({ name, tensor, binary });
  }
  return outputs;
}

function flag(
  params: Readonly<Record<string, unknown>> | undefined,
  key: string,
  at: string,
): boolean | undefined {
  const value = params?.[key];
  if (value === undefined || typeof value === "boolean") return value;
  throw invalidInput([{ path: `${at}.${key}`, message: `must be true or false, got ${kindOf(value)}` }]);
}

/** Encodes the engine's result as the requested output tensors, each under the name it was asked by. */
export function v2Outputs(
  result: InferenceResult,
  outputs: readonly V2RequestedOutput[],
  classNames: readonly string[],
): V2ResponseOutput[] {
  const rows = result.classIndices.length;
  return outputs.map(({ name, tensor }) => {
    switch (tensor) {
      case "class_index":
        return { name, datatype: "INT64", shape: [rows], data: Array.from(result.classIndices) };
      case "class_name":
        return {
          name,
          datatype: "BYTES",
          shape: [rows],
          data: Array.from(result.classIndices, (k) => classNames[k] as string),
        };
      case "probabilities":
        return {
          name,
          datatype: "FP32",
          shape: [rows, classNames.length],
          data: Array.from(result.probabilities),
        };
    }
  });
}
