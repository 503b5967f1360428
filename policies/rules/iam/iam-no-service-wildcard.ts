import { resourceRule } from "../../core/rule.ts";
import { allowStatements, asList, POLICY_DOCUMENT_IN_PREVIEW, POLICY_TYPES } from "./policy-documents.ts";

/** `s3:*`, `logs:*`: every action of one service. */
const SERVICE_WILDCARD = /^[a-z0-9-]+:\*$/i;

export const iamNoServiceWildcard = resourceRule({
  name: "iam-no-service-wildcard",
  inPreview: POLICY_DOCUMENT_IN_PREVIEW,
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
