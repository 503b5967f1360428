import { appEnvironments, CONTAINER_DEFINITIONS_IN_PREVIEW, DJANGO_SETTING, isLocalSettingsModule, isTruthySetting } from "../../core/app-settings.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

export const ecsNoDebugInProduction = resourceRule({
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
