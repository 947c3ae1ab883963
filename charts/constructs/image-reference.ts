/**
 * Container image references (`[registry[:port]/]path[:tag][@digest]`), parsed in one place: the
 * recommended `app.kubernetes.io/version` label is the tag, and settings check repositories and tags.
 */

/** An image name without tag: `[registry[:port]/]path`, lowercase path components. */
export const IMAGE_REPOSITORY =
  /^([a-zA-Z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
/** A Docker tag: letters, digits, '_', '.', '-'; at most 128 characters, not starting with '.' or '-'. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The parts of an image reference. */
export interface ImageReference {
  /** Everything before the tag, registry and port included, e.g. `registry.k8s.io/kube-state-metrics/kube-state-metrics`. */
  readonly repository: string;
  /** The tag, e.g. `v2.16.0`; undefined when the reference has none. */
  readonly tag: string | undefined;
  /** The digest after '@', e.g. `sha256:…`; undefined when the reference has none. */
  readonly digest: string | undefined;
}

/**
 * Splits an image reference into repository, tag and digest. A ':' before the last '/' belongs to the
 * registry's port, not to a tag.
 *
 * @example parseImageReference("localhost:5000/prom/prometheus:v3.5.0").tag // "v3.5.0"
 */
export function parseImageReference(image: string): ImageReference {
  const at = image.indexOf("@");
  const name = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const colon = name.lastIndexOf(":");
  if (colon === -1 || colon < name.lastIndexOf("/")) return { repository: name, tag: undefined, digest };
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
}

/** Whether an image tag pins a version: a valid tag other than `latest`. */
export function isPinnedTag(tag: string | undefined): tag is string {
  return tag !== undefined && tag !== "latest" && IMAGE_TAG.test(tag);
}
