import { CONTAINER_DEFINITIONS_IN_PREVIEW, isFalsySetting, taskContainers } from "../../core/app-settings.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

const RATE_LIMIT_VARS = ["RATE_LIMIT_ENABLED", "RATELIMIT_ENABLE"];

export const rateLimitingEnabled = resourceRule({
  name: "rate-limiting-enabled",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "ecs",
  severity: "high",
  environments: ["production"],
  types: T.taskDefinition,
  description: "Application rate limiting (RATE_LIMIT_ENABLED / RATELIMIT_ENABLE) is not switched off in production.",
  why: "Without rate limits, login and password-reset endpoints can be brute-forced and one client can exhaust the service.",
  remediationSteps: "Leave `app.rateLimitEnabled` at its default (true) in the production stack config.",
  check: (props) => taskContainers(props).flatMap((c) =>
    RATE_LIMIT_VARS.filter((v) => isFalsySetting(c.environment.get(v))).map((v) => `${c.label} sets ${v}=${c.environment.get(v)}`)),
});
