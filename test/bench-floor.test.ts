/**
 * The benchmark's floor server (`bench/floor-server.ts`) is only a fair floor if it does the model work the
 * real server does and answers the same bodies: same classes and probabilities from the same model, the same
 * fields, a batch as `predictions`. Otherwise "server − floor" would not be the price of the server's features.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitForStatus } from "../bench/process-tools.js";
import { FLOWERS, MODEL_DIR, createTestServer, loadCommittedModel, postJson } from "./server-fixtures.js";
import { killAndWait } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROWS = Object.values(FLOWERS).map((row) => [...row]);

let floorUrl = "";
let stopFloor: () => Promise<unknown> = async () => undefined;
let server: ReturnType<typeof createTestServer>;

beforeAll(async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "bench/floor-server.ts"], {
    cwd: ROOT,
    env: { ...process.env, MODEL_DIR, PORT: String(port), HOST: "127.0.0.1", TFJS_BACKEND: "wasm" },
    stdio: "ignore",
  });
  stopFloor = () => killAndWait(child);
  floorUrl = `http://127.0.0.1:${port}`;
  server = createTestServer(await loadCommittedModel());
  await waitForStatus(`${floorUrl}/health`, 200, 30_000);
}, 60_000);
afterAll(() => stopFloor());

async function both(path: string, body: unknown): Promise<[unknown, unknown]> {
  const floor = await fetch(floorUrl + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const real = await postJson(server.app, path, body);
  expect([floor.status, real.status]).toEqual([200, 200]);
  return [await floor.json(), await real.json()];
}

/** The answer without the fields that differ by design: time taken. */
function withoutTiming(answer: unknown): unknown {
  return JSON.parse(JSON.stringify(answer), (key, value: unknown) =>
    key === "processing_time_ms" ? undefined : value,
  );
}

describe("the benchmark's floor server", () => {
  it.each(Object.entries(FLOWERS))("answers /predict for one %s row as the server does", async (_, row) => {
    const [floor, real] = await both("/predict", { features: row });
    expect(withoutTiming(floor)).toEqual(withoutTiming(real));
  });

  it("answers a batch in request order, as the server does", async () => {
    const [floor, real] = await both("/predict", { instances: ROWS });
    expect((floor as { predictions: unknown[] }).predictions).toHaveLength(ROWS.length);
    expect(withoutTiming(floor)).toEqual(withoutTiming(real));
  });

  it("answers V2 inference with the server's outputs: class indices, names and probabilities", async () => {
    const body = { inputs: [{ name: "input-0", shape: [ROWS.length, 4], datatype: "FP32", data: ROWS }] };
    const [floor, real] = (await both("/v2/models/iris/infer", body)) as {
      outputs: { name: string; data: number[] }[];
    }[];
    const output = (answer: typeof floor, name: string) => answer!.outputs.find((o) => o.name === name)?.data;
    expect(output(floor, "class_index")).toEqual(output(real, "class_index"));
    expect(output(floor, "class_name")).toEqual(output(real, "class_name"));
    const floorProbabilities = output(floor, "probabilities") ?? [];
    const realProbabilities = output(real, "probabilities") ?? [];
    expect(floorProbabilities).toHaveLength(ROWS.length * 3);
    floorProbabilities.forEach((p, i) => expect(p).toBeCloseTo(realProbabilities[i]!, 6));
  });
});
