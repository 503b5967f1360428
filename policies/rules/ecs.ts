import {
  appEnvironments, DJANGO_SETTING, isDjangoContainer, isFalsySetting, isLocalSettingsModule, isTruthySetting, listSetting,
  literalSecretProblem, settingOf, taskContainers,
} from "./app-settings.ts";
import { IMAGE_DIGEST } from "../shared/thresholds.ts";
import { items, resourceRule } from "./rule.ts";
import { T } from "./types.ts";

/** Why the task-definition rules cannot judge the first preview of a new stack (docs/policies.md). */
const CONTAINER_DEFINITIONS_IN_PREVIEW = "`containerDefinitions` is one JSON string: when it names another resource's output (a secret's ARN, " +
  "a log group's name) the whole string is unknown in the first preview of a new stack, so the rule reports an advisory " +
  "\"can't run ... during preview\" for the task definition there. `pulumi up`, every later preview and the offline gate judge it.";

export const noDebugInProduction = resourceRule({
  name: "ecs-no-debug-in-production",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "ecs",
  severity: "critical",
  environments: ["production"],
  types: [...T.taskDefinition, ...T.lambdaFunction],
  description: "Production task definitions and Lambda functions (Django behind API Gateway) run with DEBUG / DJANGO_DEBUG off and a deployed (not local/dev) Django settings module or django-configurations class.",
  why: "Django's debug pages print settings, SQL and stack traces to anyone who triggers an error; local settings modules disable security middleware.",
  remediationSteps: "Set `app.debug: false` in the stack config and point DJANGO_SETTINGS_MODULE at the production settings module (e.g. `config.settings.production`).",
  check: (props, ctx) => appEnvironments(props, ctx.type).flatMap((c) => {
    const problems = DJANGO_SETTING.debug.filter((n) => isTruthySetting(c.environment.get(n)))
      .map((n) => `${c.label} sets ${n}=${c.environment.get(n)}`);
    for (const name of ["DJANGO_SETTINGS_MODULE", "DJANGO_CONFIGURATION"]) {
      const module = c.environment.get(name);
      if (module !== undefined && isLocalSettingsModule(module)) problems.push(`${c.label} uses the local settings ${name}=${module}`);
    }
    return problems;
  }),
});

export const noLiteralSecretEnv = resourceRule({
  name: "no-literal-secret-env",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "secrets",
  severity: "critical",
  types: [...T.taskDefinition, ...T.lambdaFunction],
  description: "No secret-looking environment variable (*SECRET*, *KEY*, *TOKEN*, *PASSWORD*, *DSN*, DJANGO_SECRET_KEY) has a literal value in an ECS task definition or a Lambda function, and no variable holds a connection URL with an embedded password (DATABASE_URL=postgres://user:pass@...). Values that are Secrets Manager or SSM Parameter Store ARNs are references, not secrets; URLs without a password (IAM database auth) are not secrets.",
  why: "Literal environment values are stored in plaintext in the task definition, the Lambda configuration, Pulumi state and every `describe` call.",
  remediationSteps: "Store the value in Secrets Manager or SSM Parameter Store (SecureString) and reference it: ECS `secrets: [{ name, valueFrom: <secret or parameter ARN> }]`; Lambda reads it at start from its ARN or parameter name. Build DATABASE_URL in settings from a password secret (or use IAM authentication).",
  check: (props, ctx) => {
    return appEnvironments(props, ctx.type).flatMap((c) => [...c.environment].flatMap(([name, value]) => {
      const problem = literalSecretProblem(name, value);
      return problem === undefined ? [] : [`${c.label} ${problem}; use secrets/valueFrom`];
    }));
  },
});

export const allowedHostsRestricted = resourceRule({
  name: "allowed-hosts-restricted",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "ecs",
  severity: "high",
  environments: ["production"],
  types: [...T.taskDefinition, ...T.lambdaFunction],
  description: "Django containers and Lambda functions in production set ALLOWED_HOSTS (or DJANGO_ALLOWED_HOSTS, or take it from a secret), and it never contains `*`.",
  why: "A wildcard ALLOWED_HOSTS lets forged Host headers poison password-reset links and caches.",
  remediationSteps: "Set `allowedHosts` in the stack config to the application's domain names.",
  check: (props, ctx) => appEnvironments(props, ctx.type).filter(isDjangoContainer).flatMap((c) => {
    const setting = settingOf(c, DJANGO_SETTING.allowedHosts);
    const hosts = listSetting(setting?.value);
    if (hosts.length === 0) return DJANGO_SETTING.allowedHosts.some((n) => c.secretNames.has(n)) ? [] : [`${c.label} has no ALLOWED_HOSTS`];
    return hosts.includes("*") ? [`${c.label} allows every host (${setting!.name} contains *)`] : [];
  }),
});

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
      ...CORS_ORIGIN_VARS.filter((v) => listSetting(c.environment.get(v)).includes("*")).map((v) => `container "${c.container}" sets ${v} to *`),
      ...CORS_ALLOW_ALL_VARS.filter((v) => isTruthySetting(c.environment.get(v))).map((v) => `container "${c.container}" sets ${v}=true`),
    ]);
  },
});

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
    RATE_LIMIT_VARS.filter((v) => isFalsySetting(c.environment.get(v))).map((v) => `container "${c.container}" sets ${v}=${c.environment.get(v)}`)),
});

export const imagePinnedByDigest = resourceRule({
  name: "image-pinned-by-digest",
  inPreview: CONTAINER_DEFINITIONS_IN_PREVIEW,
  area: "ecs",
  severity: "high",
  environments: ["production"],
  types: T.taskDefinition,
  description: "Production container images are pinned by digest (`repo@sha256:...`), never by a mutable tag.",
  why: "A tag can be moved to another image: what runs would differ from what was tested, and a rollback could not restore it.",
  remediationSteps: "Deploy `REPO@sha256:<digest>` (e.g. `npm run rollout -- start --image REPO@sha256:...`) and set `web.image` to it.",
  check: (props) => taskContainers(props)
    .filter((c) => !IMAGE_DIGEST.test(c.image))
    .map((c) => `container "${c.container}" image ${c.image || "(none)"} is not pinned by digest`),
});

export const ecsServiceNoPublicIp = resourceRule({
  name: "ecs-service-no-public-ip",
  area: "ecs",
  severity: "high",
  types: T.ecsService,
  description: "ECS services run in private subnets without public IP addresses.",
  why: "A public IP puts each task on the internet, bypassing the load balancer, the WAF and the security groups meant for it.",
  remediationSteps: "Set `networkConfiguration.assignPublicIp: false` and place tasks in private subnets with NAT egress.",
  check: (props) => props.networkConfiguration?.assignPublicIp === true ? ["assignPublicIp is true"] : [],
});

export const ecsServiceCircuitBreaker = resourceRule({
  name: "ecs-service-circuit-breaker-rollback",
  area: "ecs",
  severity: "high",
  types: T.ecsService,
  description: "ECS services using the ECS deployment controller have the deployment circuit breaker on with rollback.",
  why: "Without it, a task that never becomes healthy keeps a deployment retrying for hours instead of rolling back.",
  remediationSteps: "Set `deploymentCircuitBreaker: { enable: true, rollback: true }`.",
  check: (props) => {
    const controller = props.deploymentController?.type ?? "ECS";
    if (controller !== "ECS") return [];
    const breaker = props.deploymentCircuitBreaker;
    return breaker?.enable === true && breaker?.rollback === true ? [] : ["the deployment circuit breaker with rollback is not enabled"];
  },
});
