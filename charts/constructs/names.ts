/**
 * Kubernetes name formats (DNS-1123 labels and subdomains, label keys and values), defined once for the
 * settings, the constructs and the manifest checks.
 */

// One DNS-1123 label without its length limit: lowercase letters, digits and '-', alphanumeric at both ends.
const LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

/** A DNS-1123 label's characters (check the 63-character limit apart, or use `isDnsLabel`). */
export const DNS_LABEL = new RegExp(`^${LABEL}$`);
/** A DNS-1123 subdomain's characters: labels joined by dots (check the 253-character limit apart). */
export const DNS_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
/** A host name with at least one dot, as an Ingress host takes it (a `*.` wildcard prefix allowed). */
export const INGRESS_HOST = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})+$`);
/** A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export const LABEL_KEY = new RegExp(
  `^(${LABEL}(\\.${LABEL})*\\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
);
/** A label value: empty, or at most 63 letters, digits, '-', '_' and '.', alphanumeric at both ends. */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether `value` is a DNS-1123 label (namespace, Service and container names), e.g. `iris-inference`. */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === "string" && value.length <= 63 && DNS_LABEL.test(value);
}

/** Whether `value` is a DNS-1123 subdomain (most object names), e.g. `fast.ssd`. */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === "string" && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}
