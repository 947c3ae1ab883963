import { describe, expect, it } from "vitest";
import { MEASURED_SERVER_CPU, targetRequestsPerSecondPerPod } from "./request-rate-capacity.js";

describe("targetRequestsPerSecondPerPod", () => {
  it("gives 311 req/s for the default 250m request at the 70 % CPU target: (175 - 5) × 550 / 300, rounded down", () => {
    expect(targetRequestsPerSecondPerPod(250, 70)).toBe(311);
  });

  it("grows linearly with the CPU above idle", () => {
    // 1 core at 100 %: (1000 - 5) / (300 / 550) = 1824.1
    expect(targetRequestsPerSecondPerPod(1000, 100)).toBe(1824);
    // 500m at 50 % is 250m, 2 x 125 - 5 = 245 millicores of work: 449.1
    expect(targetRequestsPerSecondPerPod(500, 50)).toBe(449);
  });

  it("uses the costliest measurement: ~545 µs of CPU per request", () => {
    const { idleMillicores, requestsPerSecond, millicores } = MEASURED_SERVER_CPU;
    expect(((millicores - idleMillicores) / requestsPerSecond) * 1000).toBeCloseTo(545.45, 1);
    expect(
      targetRequestsPerSecondPerPod(250, 70, { idleMillicores: 0, requestsPerSecond: 100, millicores: 100 }),
    ).toBe(175);
  });

  it("refuses a request that leaves nothing above idle", () => {
    expect(() => targetRequestsPerSecondPerPod(5, 100)).toThrow(
      "targetRequestsPerSecondPerPod: 100 % of 5 millicores leaves no CPU above the server's idle 5 millicores",
    );
  });
});
