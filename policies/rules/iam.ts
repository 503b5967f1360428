import { resourceRule, type Props } from "./rule.ts";
import { T } from "./types.ts";

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function parsePolicy(policy: unknown): Props | undefined {
  if (typeof policy !== "string") return policy !== null && typeof policy === "object" ? policy as Props : undefined;
  try {
    return JSON.parse(policy) as Props;
  } catch {
    return undefined;
  }
}

/** The Allow statements of a policy resource, or of a role's `inlinePolicies` (a malformed document has none). */
function allowStatements(props: Props): Props[] {
  const documents = Array.isArray(props.inlinePolicies) ? props.inlinePolicies.map((p: Props | null) => p?.policy) : [props.policy];
  return documents.map(parsePolicy).filter((d): d is Props => d !== undefined).flatMap((doc) =>
    asList(doc.Statement).filter((s): s is Props => s !== null && typeof s === "object" && (s as Props).Effect === "Allow"));
}

const POLICY_TYPES = [...T.iamPolicy, "aws:iam/role:Role"];

export const iamNoStarOnStar = resourceRule({
  name: "iam-no-star-on-star",
  area: "iam",
  severity: "critical",
  types: POLICY_TYPES,
  description: "No IAM policy (managed, inline, or a role's `inlinePolicies`) allows action `*` on resource `*`.",
  why: "`*` on `*` is administrator access: one leaked credential or SSRF in the app owns the account.",
  remediationSteps: "List the actions the workload calls and the ARNs it calls them on.",
  check: (props) => allowStatements(props)
    .filter((s) => asList(s.Action).includes("*") && asList(s.Resource).includes("*"))
    .map((s) => `statement ${s.Sid ?? "(no Sid)"} allows * on *`),
});

/** `s3:*`, `logs:*`: every action of one service. */
const SERVICE_WILDCARD = /^[a-z0-9-]+:\*$/i;

export const iamNoServiceWildcard = resourceRule({
  name: "iam-no-service-wildcard",
  area: "iam",
  severity: "medium",
  types: POLICY_TYPES,
  description: "No IAM policy allows every action of a service (`s3:*`, `logs:*`, ...) on resource `*`. Advisory by default: some services have no resource-level permissions, but most such grants are broader than the workload needs.",
  why: "`s3:*` on `*` reads, overwrites and deletes every bucket in the account, and `iam:*` on `*` is administrator access by another name.",
  remediationSteps: "Name the actions (`s3:GetObject`, `s3:PutObject`) and the ARNs (`arn:aws:s3:::media-bucket/*`) the workload uses.",
  check: (props) => allowStatements(props)
    .filter((s) => asList(s.Resource).includes("*"))
    .flatMap((s) => asList(s.Action).filter((a): a is string => typeof a === "string" && SERVICE_WILDCARD.test(a))
      .map((a) => `statement ${s.Sid ?? "(no Sid)"} allows ${a} on *`)),
});
