import { describe, expect, it } from "vitest";
import { INGRESS_HOST, isDnsLabel, isDnsSubdomain, LABEL_KEY, LABEL_VALUE } from "./names.js";

describe("Kubernetes name formats", () => {
  it("accepts DNS-1123 labels of at most 63 characters and nothing else", () => {
    for (const ok of ["a", "iris-inference", "0x1", "a".repeat(63)]) expect(isDnsLabel(ok)).toBe(true);
    for (const bad of ["", "Iris", "-a", "a-", "a.b", "a_b", "a".repeat(64), 42, undefined]) {
      expect(isDnsLabel(bad)).toBe(false);
    }
  });

  it("accepts DNS-1123 subdomains of at most 253 characters", () => {
    for (const ok of ["fast", "fast.ssd", "a-b.c-d.e"]) expect(isDnsSubdomain(ok)).toBe(true);
    for (const bad of ["", "fast.", ".fast", "Fast.ssd", "a..b", `${"a".repeat(63)}.`.repeat(4) + "a"]) {
      expect(isDnsSubdomain(bad)).toBe(false);
    }
  });

  it("takes Ingress hosts with at least one dot and an optional wildcard", () => {
    for (const ok of ["iris.example.com", "*.example.com"]) expect(INGRESS_HOST.test(ok)).toBe(true);
    for (const bad of ["iris", "http://iris", "*.com.", "Iris.example.com"])
      expect(INGRESS_HOST.test(bad)).toBe(false);
  });

  it("takes label keys with an optional DNS prefix, and label values", () => {
    for (const ok of ["release", "app.kubernetes.io/name", "a_b.c"]) expect(LABEL_KEY.test(ok)).toBe(true);
    for (const bad of ["", "/name", "Bad_Prefix/name", "-a"]) expect(LABEL_KEY.test(bad)).toBe(false);
    for (const ok of ["", "kube-prometheus-stack", "v1.2_3"]) expect(LABEL_VALUE.test(ok)).toBe(true);
    for (const bad of ["-a", "a b", "a".repeat(64)]) expect(LABEL_VALUE.test(bad)).toBe(false);
  });
});
