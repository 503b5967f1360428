import { dependsOn, num, ofTypes, resourceRule, stackRule, text, unreferenced } from "./rule.ts";
import type { StackResource } from "./awsx.ts";
import { T } from "./types.ts";

export const apiGatewayAccessLogs = resourceRule({
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

/** Whether method settings or a usage plan throttle a REST stage (by dependency, or by stage name and API). */
function restStageThrottled(stage: StackResource, resources: readonly StackResource[]): boolean {
  const limited = (t: { rateLimit?: unknown; burstLimit?: unknown; throttlingRateLimit?: unknown; throttlingBurstLimit?: unknown } | undefined) =>
    num(t?.rateLimit ?? t?.throttlingRateLimit) > 0 && num(t?.burstLimit ?? t?.throttlingBurstLimit) > 0;
  // By dependency first (on the stage, or on the same REST API as the stage): API ids are unknown during a preview.
  const sameApi = (r: StackResource, restApi: () => unknown) =>
    r.dependencies.some((d) => stage.dependencies.some((s) => s.urn === d.urn)) || restApi() === stage.props.restApi;
  const sameStage = (r: StackResource, stageName: () => unknown, restApi: () => unknown) =>
    dependsOn(r, stage) || (stageName() === stage.props.stageName && sameApi(r, restApi));
  return ofTypes(resources, T.methodSettings).some((m) => limited(m.props.settings) && sameStage(m, () => m.props.stageName, () => m.props.restApi)) ||
    ofTypes(resources, T.usagePlan).some((p) => limited(p.props.throttleSettings) &&
      (Array.isArray(p.props.apiStages) ? p.props.apiStages : []).some((s: { stage?: unknown; apiId?: unknown } | null) => sameStage(p, () => s?.stage, () => s?.apiId)));
}

export const apiGatewayThrottling = stackRule({
  name: "apigateway-throttling",
  area: "api-gateway",
  severity: "high",
  types: [...T.restStage, ...T.httpStage, ...T.methodSettings, ...T.usagePlan],
  description: "API Gateway stages set their own throttling: HTTP stages in `defaultRouteSettings`, REST stages through `aws.apigateway.MethodSettings` or a usage plan with `throttleSettings` (rate and burst both above 0).",
  why: "Without a stage limit a single client can use the whole account's API Gateway quota (10,000 requests/s shared by every API in the region) and run up the Lambda bill behind it.",
  remediationSteps: "HTTP API: `defaultRouteSettings: { throttlingRateLimit, throttlingBurstLimit }`. REST API: `new aws.apigateway.MethodSettings(..., { restApi, stageName, methodPath: \"*/*\", settings: { throttlingRateLimit, throttlingBurstLimit } })`.",
  check: (resources) => [
    ...ofTypes(resources, T.httpStage)
      .filter((s) => !(num(s.props.defaultRouteSettings?.throttlingRateLimit) > 0 && num(s.props.defaultRouteSettings?.throttlingBurstLimit) > 0))
      .map((s) => ({ message: `HTTP API stage ${s.name} has no defaultRouteSettings throttling (rate and burst)`, urn: s.urn })),
    ...ofTypes(resources, T.restStage).filter((s) => !restStageThrottled(s, resources))
      .map((s) => ({ message: `REST API stage ${s.name} has no throttling in method settings or a usage plan`, urn: s.urn })),
  ],
});

export const apiGatewayRestWaf = stackRule({
  name: "apigateway-rest-waf-associated",
  area: "api-gateway",
  severity: "high",
  types: [...T.restStage, ...T.webAclAssociation],
  subjectType: T.restStage[0],
  description: "Every REST API stage has a WAFv2 WebACL association (HTTP APIs cannot take a WebACL: put CloudFront with a WebACL in front of them).",
  why: "A REST API that fronts Django on Lambda takes SQL injection, scanners and floods directly without a WebACL.",
  remediationSteps: "Create `aws.wafv2.WebAclAssociation` with `resourceArn: stage.arn` and a regional WebACL with the managed common rule set and a rate-based rule.",
  check: (resources) => unreferenced(ofTypes(resources, T.restStage), ofTypes(resources, T.webAclAssociation), (a) => a.props.resourceArn, (s) => [s.props.arn])
    .map((s) => ({ message: `REST API stage ${s.name} has no WAFv2 WebACL association`, urn: s.urn })),
});
