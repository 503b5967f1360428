import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const lambdaXrayActive = resourceRule({
  name: "lambda-xray-active",
  area: "lambda",
  severity: "high",
  types: T.lambdaFunction,
  description: "Every Lambda function has active X-Ray tracing.",
  why: "Without traces, a slow or failing event handler cannot be followed across the queue and the database.",
  remediationSteps: "Set `tracingConfig: { mode: \"Active\" }` and allow `xray:PutTraceSegments` in the function's role.",
  check: (props) => props.tracingConfig?.mode === "Active" ? [] : [`tracing mode is ${props.tracingConfig?.mode ?? "not set"}`],
});
