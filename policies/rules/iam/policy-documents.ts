import type { Props } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

export function parsePolicy(policy: unknown): Props | undefined {
  if (typeof policy !== "string") return policy !== null && typeof policy === "object" ? policy as Props : undefined;
  try {
    return JSON.parse(policy) as Props;
  } catch {
    return undefined;
  }
}

/** The Allow statements of a policy resource, or of a role's `inlinePolicies` (a malformed document has none). */
export function allowStatements(props: Props): Props[] {
  const documents = Array.isArray(props.inlinePolicies) ? props.inlinePolicies.map((p: Props | null) => p?.policy) : [props.policy];
  return documents.map(parsePolicy).filter((d): d is Props => d !== undefined).flatMap((doc) =>
    asList(doc.Statement).filter((s): s is Props => s !== null && typeof s === "object" && (s as Props).Effect === "Allow"));
}

export const POLICY_TYPES = [...T.iamPolicy, ...T.iamRole];

/** Why the IAM document rules cannot judge the first preview of a new stack (docs/policies.md). */
export const POLICY_DOCUMENT_IN_PREVIEW = "`policy` is one JSON document: when it names another resource's ARN it is unknown in the first preview of a new stack, " +
  "so the rule reports an advisory \"can't run ... during preview\" for that policy there. `pulumi up`, every later preview and the offline gate judge it.";
