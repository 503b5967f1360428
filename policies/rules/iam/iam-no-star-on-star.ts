import { resourceRule } from "../../core/rule.ts";
import { allowStatements, asList, POLICY_DOCUMENT_IN_PREVIEW, POLICY_TYPES } from "./policy-documents.ts";

export const iamNoStarOnStar = resourceRule({
  name: "iam-no-star-on-star",
  inPreview: POLICY_DOCUMENT_IN_PREVIEW,
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
