import type { StackResource } from "../../core/awsx.ts";
import { ofTypes, unreferenced } from "../../core/relations.ts";
import { T } from "../../core/resource-types.ts";

/** Buckets no companion of the given kind configures (companions reference a bucket by its name, its id). */
export function bucketsWithout(resources: readonly StackResource[], companions: readonly StackResource[]): StackResource[] {
  return unreferenced(ofTypes(resources, T.bucket), companions, (c) => c.props.bucket, (b) => [b.props.id, b.props.bucket]);
}
