import { CONTAINER_DEFINITIONS_IN_PREVIEW, isTruthySetting, listSetting, taskContainers } from "../../core/app-settings.ts";
import { items } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

const CORS_ORIGIN_VARS = ["CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST", "CORS_ORIGINS"];
const CORS_ALLOW_ALL_VARS = ["CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"];

export const corsNotWildcard = resourceRule({
  name: "cors-not-wildcard",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "storage",
  severity: "high",
  environments: ["production"],
  types: [...T.bucketCors, ...T.taskDefinition],
  description: "CORS never allows every origin in production: S3 bucket CORS rules and container CORS settings.",
  why: "`*` lets any website read responses with the user's browser, including uploads and API data.",
  remediationSteps: "List the exact origins in `corsOrigins` in the stack config (e.g. `https://app.example.com`).",
  check: (props, ctx) => {
    if (T.bucketCors.includes(ctx.type as never)) {
      return items(props.corsRules).some((r) => Array.isArray(r.allowedOrigins) && r.allowedOrigins.includes("*")) ? ["a CORS rule allows origin *"] : [];
    }
    return taskContainers(props).flatMap((c) => [
      ...CORS_ORIGIN_VARS.filter((v) => listSetting(c.environment.get(v)).includes("*")).map((v) => `${c.label} sets ${v} to *`),
      ...CORS_ALLOW_ALL_VARS.filter((v) => isTruthySetting(c.environment.get(v))).map((v) => `${c.label} sets ${v}=true`),
    ]);
  },
});
