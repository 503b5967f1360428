import { unknownValue } from "@pulumi/pulumi/runtime/rpc.js";
import type { RegisteredResource } from "./program-runner.ts";

/**
 * The first `pulumi preview` of a stack that does not exist yet, modelled on what the mocks produced.
 *
 * The engine then knows a resource's inputs but none of what its provider computes: every output the mocks
 * added (ids, ARNs, `arnSuffix`, names the provider would generate, endpoints) is unknown, and so is every input
 * computed from another resource's unknown output (a bucket policy naming the bucket's ARN, container
 * definitions naming a secret's ARN). Unknowns use the engine's own sentinel, so the harness (like the analyzer
 * server) turns a rule that reads one into an advisory "can't run ... during preview".
 *
 * What it cannot see: an input derived from an unknown output without containing it verbatim (a hash of an ARN,
 * a length); such an input stays known here although the engine would not know it. An input is traced to an
 * output only through the resource's dependencies, as the engine would have it.
 */
export function previewOfNewStack(resources: readonly RegisteredResource[]): RegisteredResource[] {
  const byUrn = new Map<string, { unknownValues: readonly string[] }>();
  return resources.map((r) => {
    const upstream = r.dependencies.flatMap((d) => byUrn.get(d)?.unknownValues ?? []);
    const { value: inputs, unknown: derived } = markDerived(r.inputs, upstream);
    const computed = Object.entries(r.state).filter(([key, value]) => !(key in r.inputs) || !same(value, r.inputs[key]));
    // An output echoing an input that is unknown now is unknown too.
    const state = Object.fromEntries([
      ...Object.entries(r.state).map(([key, value]) => [key, key in inputs && same(value, r.inputs[key]) ? inputs[key] : unknownValue]),
    ]);
    const unknownValues = [...computed.flatMap(([, v]) => strings(v)), ...derived].filter((v) => v.length >= MIN_TRACEABLE);
    if (r.urn) byUrn.set(r.urn, { unknownValues });
    return { ...r, inputs: inputs as Record<string, unknown>, state };
  });
}

/** Shorter strings (`true`, `80`, `tcp`) occur by coincidence; ids, ARNs and generated names are longer. */
const MIN_TRACEABLE = 8;

/** Replaces every string that contains an upstream unknown value by the unknown sentinel; collects what it replaced. */
function markDerived(value: unknown, upstream: readonly string[]): { value: Record<string, unknown>; unknown: string[] } {
  const unknown: string[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (upstream.some((u) => v.includes(u))) {
        unknown.push(v);
        return unknownValue;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value) as Record<string, unknown>, unknown };
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
