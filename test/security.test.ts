/**
 * Least privilege and least disclosure, end to end:
 * - the repository tracks no credential (every tracked file scanned), and no environment in dist/ holds a
 *   Secret, base64 blob or password-like value;
 * - every pod of every environment meets Pod Security Standard restricted in a namespace that enforces it,
 *   RBAC has no wildcards and no access to Secrets, the inference pods use the API not at all and are
 *   reachable only on their Service port;
 * - the running server (real process, over the wire) sends no framework banner, hides its internals in
 *   every error, bounds bodies and rows, and never logs bodies, query strings or credentials in headers.
 */
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV, PATHS, RUN_AS_UID } from "../src/contract/index.js";
import { FLOWERS } from "./server-fixtures.js";
import { environmentDirs } from "./support/environment-dirs.js";
import {
  credentialLikeValues,
  credentialProblems,
  loadManifestDir,
  networkPolicyProblems,
  podSecurityProblems,
  podTemplates,
  rbacProblems,
  selectorMatches,
} from "./support/k8s-checks.js";
import {
  type HttpAnswer,
  type HttpRequestOptions,
  type RunningServer,
  httpRequest,
  killStartedServers,
  startReady,
  waitUntil,
} from "./support/server-process.js";

describe("the repository", () => {
  const tracked = execFileSync("git", ["ls-files", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean);

  /** Where credential-like text is expected, and why; each entry must still match something. */
  const ALLOWED: readonly { file: string; line: RegExp; why: string }[] = [
    {
      file: "test/support/k8s-checks.test.ts",
      line: /./,
      why: "the credential checks' own fixtures, which must look like credentials",
    },
    {
      file: "charts/monitoring/grafana.ts",
      line: /^export const GRAFANA_ADMIN_SECRET\s=\s"grafana-admin";$/,
      why: "the name of the Secret the cluster admin creates, not its value",
    },
    {
      file: "test/security.test.ts",
      line: /^(\{ file: "[^"]+", )?line: \//,
      why: "the patterns of this list, which quote what they allow",
    },
    {
      file: "test/server-auth.test.ts",
      line: /"x-api-key"|"X-API-Key"|"X-Api-KEY"/,
      why: "made-up keys of the API-key tests, sent in the X-API-Key header",
    },
    {
      file: "test/server-auth-process.test.ts",
      line: /\{ "x-api-key": "(first|second)-key-\d+" \}/,
      why: "made-up keys the process test writes into its own key directory",
    },
    {
      file: "test/monitoring/end-to-end.prometheus.test.ts",
      line: /^const API_KEY = "e2e-key-|"x-api-key"/,
      why: "the made-up key the end-to-end test gives its own server, and sends",
    },
    { file: "test/ops-load.test.ts", line: /apiKey: "k-123"/, why: "a made-up key in a unit test" },
    {
      file: "bench/run.ts",
      line: /^const BENCH_API_KEY = "bench-key-/,
      why: "the made-up key the benchmark gives its own server",
    },
    {
      file: "ops/main.ts",
      line: /apiKey: process\.env\.INFER8S_API_KEY/,
      why: "reads the key from the environment: a reference, not a value",
    },
  ];

  it("tracks no key, certificate or environment file", () => {
    const risky =
      /(^|\/)(\.env(\..+)?|\.npmrc|\.netrc|id_(rsa|dsa|ecdsa|ed25519)|.+\.(pem|key|p12|pfx|jks))$/;
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked.filter((file) => risky.test(file))).toEqual([]);
  });

  it("holds nothing that looks like a credential outside the allowed fixtures", () => {
    const findings: string[] = [];
    const used = new Set<(typeof ALLOWED)[number]>();
    for (const file of tracked) {
      if (statSync(file, { throwIfNoEntry: false })?.isFile() !== true) continue;
      const text = readFileSync(file, "utf8");
      for (const [index, line] of text.split("\n").entries()) {
        const kinds = credentialLikeValues(line);
        if (kinds.length === 0) continue;
        const allowed = ALLOWED.find((a) => a.file === file && a.line.test(line.trim()));
        if (allowed) used.add(allowed);
        else findings.push(`${file}:${index + 1}: ${kinds.join(", ")}`);
      }
    }
    expect(findings).toEqual([]);
    expect(ALLOWED.filter((a) => !used.has(a)).map((a) => a.file)).toEqual([]);
  });
});

describe.each(environmentDirs().map((e) => [e.dir, e.name]))("%s/ (environment %s)", (dir) => {
  const objects = loadManifestDir(dir).map((l) => l.object);
  const pods = podTemplates(objects);
  const inferencePods = pods.filter((t) => t.owner.metadata.name === "iris-inference");
  // Operator mode brings no Prometheus, kube-state-metrics or Grafana of its own (and no RBAC).
  const standalone = objects.some((o) => o.kind === "Deployment" && o.metadata.name === "prometheus");

  it("holds no Secret, base64 blob or password-like value", () => {
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(credentialProblems(objects)).toEqual([]);
  });

  it("runs every pod under Pod Security Standard restricted, in namespaces that enforce it", () => {
    expect(pods.length).toBeGreaterThanOrEqual(standalone ? 4 : 1);
    expect(podSecurityProblems(objects)).toEqual([]);
    for (const t of pods) expect(t.spec.securityContext).toMatchObject({ runAsUser: expect.any(Number) });
    expect(inferencePods[0]?.spec.securityContext).toMatchObject({ runAsUser: RUN_AS_UID });
    const namespaces = objects.filter((o) => o.kind === "Namespace");
    for (const namespace of new Set(pods.map((t) => t.namespace))) {
      const labels = namespaces.find((n) => n.metadata.name === namespace)?.metadata.labels;
      expect(labels, `namespace ${namespace}`).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
      });
    }
  });

  it("grants RBAC without wildcards, Secrets or escalation, and none at all to the inference pods", () => {
    const roles = objects.filter((o) => o.kind === "Role" || o.kind === "ClusterRole");
    expect(roles.length > 0).toBe(standalone);
    expect(rbacProblems(objects)).toEqual([]);
    expect(inferencePods).toHaveLength(1);
    const account = inferencePods[0]?.spec.serviceAccountName;
    expect(inferencePods[0]?.spec.automountServiceAccountToken).toBe(false);
    const bindings = objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding");
    const bound = bindings.filter((b) =>
      ((b as { subjects?: { name?: string }[] }).subjects ?? []).some((s) => s.name === account),
    );
    expect(bound).toEqual([]);
  });

  it("lets traffic reach the inference pods only on their Service port", () => {
    expect(networkPolicyProblems(objects)).toEqual([]);
    const [pod] = inferencePods;
    const policies = objects.filter(
      (o) =>
        o.kind === "NetworkPolicy" &&
        o.metadata.namespace === pod?.namespace &&
        selectorMatches((o.spec as { podSelector: unknown }).podSelector, pod?.labels ?? {}),
    );
    expect(policies).toHaveLength(1);
    const spec = policies[0]?.spec as { policyTypes: string[]; ingress: { ports: { port: unknown }[] }[] };
    expect(spec.policyTypes).toContain("Ingress");
    expect(spec.ingress.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual(["http"]);
  });
});

describe("the running server", () => {
  let server: RunningServer;
  beforeAll(async () => {
    // Trace, the most verbose level: a body or credential logged at debug must fail "never logs" too.
    server = await startReady({ [ENV.logLevel]: "trace" });
  });
  afterAll(killStartedServers);

  // Values no log line may ever contain: one text, one number, both unlikely anywhere else.
  const CANARY = `canary${randomInt(1e9, 1e10)}`;
  const CANARY_NUMBER = Number(`5.${randomInt(1e8, 1e9)}`);
  const json = (value: unknown) => JSON.stringify(value);
  const tooManyRows = Array.from({ length: 1025 }, () => [CANARY_NUMBER, 3.5, 1.4, 0.2]);

  /** Requests that reach every answer the inference endpoints give, each carrying the canaries. */
  const REQUESTS: readonly (HttpRequestOptions & { expect: number })[] = [
    {
      method: "POST",
      path: PATHS.predict,
      body: json({ features: [CANARY_NUMBER, 3.5, 1.4, 0.2] }),
      expect: 200,
    },
    {
      method: "POST",
      path: "/v2/models/iris/infer",
      body: json({
        id: CANARY,
        parameters: { note: CANARY },
        inputs: [{ name: CANARY, shape: [1, 4], datatype: "FP32", data: FLOWERS.setosa }],
      }),
      expect: 200,
    },
    {
      method: "POST",
      path: `${PATHS.predict}?api_key=${CANARY}`,
      body: json({ features: FLOWERS.virginica }),
      headers: { authorization: `Bearer ${CANARY}`, cookie: `session=${CANARY}` },
      expect: 200,
    },
    { method: "POST", path: PATHS.predict, body: json({ features: [CANARY, 1, 2, 3] }), expect: 400 },
    { method: "POST", path: PATHS.predict, body: `{"features": [${CANARY}`, expect: 400 },
    {
      method: "POST",
      path: "/v1/models/iris:predict",
      body: json({ instances: [{ [CANARY]: CANARY_NUMBER }] }),
      expect: 400,
    },
    { method: "POST", path: "/v1/models/rose:predict", body: json({ instances: [CANARY] }), expect: 404 },
    { method: "PUT", path: PATHS.predict, body: json({ features: [CANARY] }), expect: 405 },
    {
      method: "POST",
      path: PATHS.predict,
      body: CANARY,
      headers: { "content-type": "application/xml" },
      expect: 415,
    },
    // Read as JSON: `curl -d` (form-urlencoded), no Content-Type at all, chunked; and text that is not JSON.
    {
      method: "POST",
      path: "/v1/models/iris:predict",
      body: json({ inputs: [[CANARY_NUMBER, 3.5, 1.4, 0.2]] }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      expect: 200,
    },
    {
      method: "POST",
      path: PATHS.predict,
      body: json({ features: [CANARY_NUMBER, 3.5, 1.4, 0.2] }),
      headers: { "content-type": undefined, "content-length": undefined },
      expect: 200,
    },
    {
      method: "POST",
      path: PATHS.predict,
      body: `features=${CANARY}`,
      headers: { "content-type": "text/plain" },
      expect: 400,
    },
    { method: "POST", path: PATHS.predict, body: json({ instances: tooManyRows }), expect: 413 },
    { method: "POST", path: PATHS.predict, body: json({ note: CANARY.repeat(30_000) }), expect: 413 },
    { method: "GET", path: "/no/such/page", expect: 404 },
  ];
  let answers: HttpAnswer[];
  beforeAll(async () => {
    answers = [];
    for (const request of REQUESTS) answers.push(await httpRequest(server.port, request));
  });

  it("answers each probe request as expected", () => {
    expect(answers.map((a) => a.status)).toEqual(REQUESTS.map((r) => r.expect));
  });

  it("sends no framework banner or version in any answer", () => {
    for (const [i, answer] of answers.entries()) {
      const what = `${REQUESTS[i]?.method} ${REQUESTS[i]?.path}`;
      for (const header of ["server", "x-powered-by", "via", "x-runtime", "x-aspnet-version"]) {
        expect(answer.headers[header], `${header} on ${what}`).toBeUndefined();
      }
      expect(json(answer.headers), what).not.toMatch(/hono|node|express|infer8s\/|tensorflow/i);
    }
  });

  it("marks every answer, error or not, with a request id: the client's when safe, else a fresh UUID", async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const [i, answer] of answers.entries()) {
      expect(answer.headers["x-request-id"], `${REQUESTS[i]?.method} ${REQUESTS[i]?.path}`).toMatch(uuid);
    }
    expect(new Set(answers.map((a) => a.headers["x-request-id"])).size).toBe(answers.length);
    const predict = { method: "POST", path: PATHS.predict, body: json({ features: FLOWERS.setosa }) };
    const echoed = await httpRequest(server.port, { ...predict, headers: { "x-request-id": "trace-42" } });
    expect(echoed.headers["x-request-id"]).toBe("trace-42");
    const replaced = await httpRequest(server.port, { ...predict, headers: { "x-request-id": "a b" } });
    expect(replaced.headers["x-request-id"]).toMatch(uuid);
  });

  it("hides internals in every error: no stack, no source path, no exception name", () => {
    const errors = answers.filter((a) => a.status >= 400);
    expect(errors.length).toBeGreaterThan(5);
    for (const answer of errors) {
      expect(typeof (JSON.parse(answer.body) as { error?: unknown }).error).toBe("string");
      expect(answer.body).not.toMatch(/\n\s+at |node_modules|\/src\/|\/work\/|file:\/\/|\.[cm]?[jt]s:\d+/);
      expect(answer.body).not.toMatch(/\b(TypeError|RangeError|SyntaxError|ReferenceError|HTTPException)\b/);
    }
  });

  it("answers a malformed request from Node's own parser without a banner or detail", async () => {
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () =>
        socket.write("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("close", () => resolve(text));
      socket.on("error", () => {});
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).not.toMatch(/server:|x-powered-by|HPE_|Error/i);
  });

  it("refuses a body declared too large from its Content-Length alone, then hangs up instead of reading it", async () => {
    const declared = 64 * 1024 * 1024;
    const result = await new Promise<{ response: string; hungUpBeforeAllSent: boolean }>((resolve) => {
      const socket = connect(server.port, "127.0.0.1");
      let response = "";
      let sent = 0;
      let closed = false;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed && sent < declared) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once("drain", pump);
        }
        // Everything sent and the connection still open: the server read it all. Stop waiting.
        if (!closed) setTimeout(() => socket.destroy(), 1000);
      };
      socket.on("connect", () =>
        socket.write(
          `POST ${PATHS.predict} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
        ),
      );
      // Only once the answer is in does the client start sending the body it announced.
      socket.once("data", () => setImmediate(pump));
      socket.on("data", (data: Buffer) => (response += data.toString()));
      socket.on("error", () => {});
      socket.on("close", () => {
        closed = true;
        resolve({ response, hungUpBeforeAllSent: sent < declared });
      });
    });
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.response).toMatch(/\r\nconnection: close\r\n/i);
    expect(result.hungUpBeforeAllSent).toBe(true);
  });

  it("cuts off a chunked body as soon as it passes the limit", async () => {
    const limit = Number(
      (
        JSON.parse((await httpRequest(server.port, { path: PATHS.info })).body) as {
          body_limit_bytes: number;
        }
      ).body_limit_bytes,
    );
    const result = await new Promise<{ response: string; sent: number }>((resolve) => {
      const socket = connect(server.port, "127.0.0.1");
      let response = "";
      let sent = 0;
      const piece = `${" ".repeat(16 * 1024)}`;
      let timer: NodeJS.Timeout | undefined;
      socket.on("connect", () => {
        socket.write(
          `POST ${PATHS.predict} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        // Chunks only after the request head, or the server rightly answers 400 to a garbled request.
        timer = setInterval(() => {
          if (response !== "" || sent > 16 * limit) return;
          socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
          sent += piece.length;
        }, 1);
      });
      socket.on("data", (data: Buffer) => (response += data.toString()));
      socket.on("error", () => {});
      socket.on("close", () => {
        clearInterval(timer);
        resolve({ response, sent });
      });
    });
    expect(result.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(result.sent).toBeGreaterThan(limit);
    expect(result.sent).toBeLessThan(4 * limit);
  });

  it("never logs a request body, a query string or a credential header", async () => {
    // Request lines are gathered into larger writes and may be held up to 50 ms: wait for every one of them.
    const requestLines = () => server.logs.filter((l) => l.msg === "request");
    await waitUntil(
      "a request line for every request",
      () => requestLines().length >= REQUESTS.length,
      5_000,
    );
    const output = server.stdout() + server.stderr();
    expect(output).not.toContain(CANARY);
    expect(output).not.toContain(String(CANARY_NUMBER));
  });
});
