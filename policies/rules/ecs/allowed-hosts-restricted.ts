import { appEnvironments, CONTAINER_DEFINITIONS_IN_PREVIEW, DJANGO_SETTING, isDjangoContainer, listSetting, settingOf } from "../../core/app-settings.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";

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
