import { accessLogs, res, restStage, unknownStringValue, using } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

const httpStage = (inputs: Record<string, unknown> = {}) => res("aws:apigatewayv2/stage:Stage", "http", {
  apiId: "a", name: "$default", accessLogSettings: accessLogs, defaultRouteSettings: { throttlingRateLimit: 100, throttlingBurstLimit: 50 }, ...inputs,
});

ruleCases("api-gateway", {
  "apigateway-access-logs": {
    compliant: () => [restStage(), httpStage()],
    noncompliant: { "REST stage without": () => [restStage({ accessLogSettings: undefined })], "HTTP stage without format": () => [httpStage({ accessLogSettings: { destinationArn: "arn:x" } })] },
  },
  "apigateway-throttling": {
    compliant: () => {
      const stage = restStage();
      const api = res("aws:apigateway/restApi:RestApi", "api", {});
      return [httpStage(), stage, using(res("aws:apigateway/methodSettings:MethodSettings", "ms", { restApi: "api-1", stageName: "prod", methodPath: "*/*", settings: { throttlingRateLimit: 100, throttlingBurstLimit: 50 } }), stage),
        restStage({ stageName: "v2" }), res("aws:apigateway/usagePlan:UsagePlan", "plan", { apiStages: [{ apiId: "api-1", stage: "v2" }], throttleSettings: { rateLimit: 10, burstLimit: 5 } }),
        // Method settings naming the stage literally, tied to the stage's REST API by dependency (its id unknown in a preview).
        api, using(restStage({ stageName: "v3", restApi: unknownStringValue }), api), using(res("aws:apigateway/methodSettings:MethodSettings", "ms3", { restApi: unknownStringValue, stageName: "v3", settings: { throttlingRateLimit: 5, throttlingBurstLimit: 5 } }), api)];
    },
    noncompliant: {
      "HTTP stage without route throttling": () => [httpStage({ defaultRouteSettings: undefined })],
      "REST stage without method settings": () => [restStage()],
      "REST method settings without limits": () => { const stage = restStage(); return [stage, using(res("aws:apigateway/methodSettings:MethodSettings", "ms", { settings: { metricsEnabled: true } }), stage)]; },
    },
  },
  "apigateway-rest-waf-associated": {
    compliant: () => { const stage = restStage(); return [stage, using(res("aws:wafv2/webAclAssociation:WebAclAssociation", "waf", { resourceArn: "unknown" }), stage), httpStage()]; },
    noncompliant: { "REST stage without a WebACL": () => [restStage()] },
  },
});
