import { appEnvironments, CONTAINER_DEFINITIONS_IN_PREVIEW, literalSecretProblem } from "../../core/app-settings.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

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
