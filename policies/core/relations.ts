import type { StackResource } from "./awsx.ts";

/**
 * Whether `resource` takes an input from `target`. Stack rules relate resources by dependency first:
 * during a preview of a new stack the ARNs/ids they would compare are still unknown, the dependencies are not.
 */
export function dependsOn(resource: StackResource, target: StackResource): boolean {
  return resource.dependencies.some((d) => d.urn === target.urn || d.urn === target.component?.urn);
}

/**
 * The candidates `resource` takes an input from: by dependency; only when it depends on none of them are values
 * compared (lazily: in a preview of a new stack the ids and ARNs are unknown and reading one stops the rule).
 */
export function relatedTo<R extends StackResource>(resource: StackResource, candidates: readonly R[], byValue: (candidate: R) => boolean): R[] {
  const linked = candidates.filter((c) => dependsOn(resource, c));
  return linked.length > 0 ? linked : candidates.filter(byValue);
}

/**
 * The targets no companion refers to: by dependency first; only companions that depend on no target at all
 * (their reference may come from config or a lookup) are compared by value, lazily, because during a
 * preview of a new stack the ARNs, ids and names they would compare are still unknown.
 */
export function unreferenced<R extends StackResource>(
  targets: readonly R[], companions: readonly StackResource[],
  reference: (companion: StackResource) => unknown, keys: (target: R) => unknown[],
): R[] {
  const targetUrns = new Set(targets.map((t) => t.urn));
  const byDependency = new Set(companions.flatMap((c) => c.dependencies.map((d) => d.urn)));
  const loose = companions.filter((c) => !c.dependencies.some((d) => targetUrns.has(d.urn)));
  let references: Set<unknown> | undefined;
  const referencedByValue = (t: R) => loose.length > 0 && keys(t).some((k) => (references ??= new Set(loose.map(reference))).has(k));
  // A target derived from an awsx component is referenced through the component (its outputs).
  return targets.filter((t) => !byDependency.has(t.urn) && !(t.component && byDependency.has(t.component.urn)) && !referencedByValue(t));
}

/** Resources of any of `types` from a stack, for rules that relate resources to each other. */
export function ofTypes<R extends StackResource>(resources: readonly R[], types: readonly string[]): R[] {
  return resources.filter((r) => types.includes(r.type));
}
