import { text } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const apigatewayAccessLogs = resourceRule({
  name: "apigateway-access-logs",
  area: "api-gateway",
  severity: "high",
  types: [...T.restStage, ...T.httpStage],
  description: "API Gateway stages (REST `aws:apigateway/stage:Stage` and HTTP `aws:apigatewayv2/stage:Stage`) write access logs to a log destination with a format.",
  why: "Behind API Gateway, the Lambda's own logs never show rejected, throttled or unauthorised requests; without access logs an incident has no record of who called what.",
  remediationSteps: "Set `accessLogSettings: { destinationArn: <log group ARN>, format: <JSON format with $context.requestId, $context.identity.sourceIp, $context.status> }` (REST APIs also need the account's CloudWatch role).",
  check: (props) => text(props.accessLogSettings?.destinationArn) !== "" && text(props.accessLogSettings?.format) !== ""
    ? [] : ["accessLogSettings (destinationArn and format) is not set"],
});
