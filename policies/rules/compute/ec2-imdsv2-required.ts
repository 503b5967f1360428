import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const ec2Imdsv2Required = resourceRule({
  name: "ec2-imdsv2-required",
  area: "compute",
  severity: "high",
  types: T.ec2Instance,
  description: "EC2 instances require IMDSv2 (`metadataOptions.httpTokens: \"required\"`) or switch the metadata endpoint off.",
  why: "With IMDSv1, one server-side request forgery in the app (a URL fetcher, an image proxy) reads the instance role's credentials from 169.254.169.254.",
  remediationSteps: "Set `metadataOptions: { httpTokens: \"required\", httpPutResponseHopLimit: 1 }` (2 if containers on the host need the metadata).",
  check: (props) => props.metadataOptions?.httpTokens === "required" || props.metadataOptions?.httpEndpoint === "disabled"
    ? [] : [`metadataOptions.httpTokens is ${props.metadataOptions?.httpTokens ?? "not set (IMDSv1 allowed unless the AMI requires v2)"}`],
});
