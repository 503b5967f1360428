import { specialResourceSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc.js";

export { specialResourceSig, specialSigKey, unknownValue };

/** A secret as the runtime serialises it: `{ [sigKey]: secretSig, value }`. */
export function isSecretWrapper(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" &&
    (value as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

/** Removes secret wrappers, remembering where they were (dotted paths, array indexes as numbers). */
export function unwrapSecrets(value: unknown, at = ""): { value: unknown; secretPaths: string[] } {
  if (isSecretWrapper(value)) {
    const inner = unwrapSecrets(value.value, at);
    return { value: inner.value, secretPaths: [at || "$", ...inner.secretPaths] };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => unwrapSecrets(v, join(at, String(i))));
    return { value: items.map((i) => i.value), secretPaths: items.flatMap((i) => i.secretPaths) };
  }
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, join(at, k))] as const);
    return {
      value: Object.fromEntries(fields.map(([k, v]) => [k, v.value])),
      secretPaths: fields.flatMap(([, v]) => v.secretPaths),
    };
  }
  return { value, secretPaths: [] };
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}
