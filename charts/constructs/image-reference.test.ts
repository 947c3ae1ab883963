import { describe, expect, it } from "vitest";
import { IMAGE_REPOSITORY, isPinnedTag, parseImageReference } from "./image-reference.js";

describe("parseImageReference", () => {
  it("splits repository and tag at the last ':' after the last '/'", () => {
    expect(parseImageReference("prom/prometheus:v3.5.0")).toEqual({
      repository: "prom/prometheus",
      tag: "v3.5.0",
      digest: undefined,
    });
    expect(parseImageReference("localhost:5000/team/infer8s:1.2.3")).toEqual({
      repository: "localhost:5000/team/infer8s",
      tag: "1.2.3",
      digest: undefined,
    });
  });

  it("reads a registry port as part of the repository, not as a tag", () => {
    expect(parseImageReference("localhost:5000/team/infer8s")).toEqual({
      repository: "localhost:5000/team/infer8s",
      tag: undefined,
      digest: undefined,
    });
  });

  it("keeps a digest apart from the tag", () => {
    expect(parseImageReference("grafana/grafana:12.1.1@sha256:abc")).toEqual({
      repository: "grafana/grafana",
      tag: "12.1.1",
      digest: "sha256:abc",
    });
    expect(parseImageReference("grafana/grafana@sha256:abc").tag).toBeUndefined();
  });
});

describe("image formats", () => {
  it("pins a version only with a valid tag other than latest", () => {
    expect(isPinnedTag("v2.16.0")).toBe(true);
    for (const bad of [undefined, "", "latest", ".hidden", "a".repeat(129)])
      expect(isPinnedTag(bad)).toBe(false);
  });

  it("takes repositories with an optional registry and port, lowercase paths", () => {
    for (const ok of ["infer8s", "registry.example.com/team/infer8s", "localhost:5000/a_b/c-d"]) {
      expect(IMAGE_REPOSITORY.test(ok)).toBe(true);
    }
    for (const bad of ["Infer8s", "team/infer8s:1.0", "/infer8s"])
      expect(IMAGE_REPOSITORY.test(bad)).toBe(false);
  });
});
