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

export const iamNoStarOnStar = resourceRule({
  name: "iam-no-star-on-star",
  inPreview: "`policy` is one JSON document: when it names another resource's ARN it is unknown in the first preview of a new stack, " +
    "so the rule reports an advisory \"can't run ... during preview\" for that policy there. `pulumi up`, every later preview and the offline gate judge it.",
  area: "iam",
  severity: "critical",
  types: T.iamPolicy,
  description: "No IAM policy allows action `*` on resource `*`.",
  why: "`*` on `*` is administrator access: one leaked credential or SSRF in the app owns the account.",
  remediationSteps: "List the actions the workload calls and the ARNs it calls them on.",
  check: (props) => {
    const doc = parsePolicy(props.policy);
    if (!doc) return [];
    return asList(doc.Statement)
      .filter((s): s is Props => s !== null && typeof s === "object")
      .filter((s) => s.Effect === "Allow" && asList(s.Action).includes("*") && asList(s.Resource).includes("*"))
      .map((s) => `statement ${s.Sid ?? "(no Sid)"} allows * on *`);
  },
});
