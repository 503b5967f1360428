import { taggedExemptions } from "../../core/exemption.ts";
import { resourceRule } from "../../core/rule.ts";

/** Built by the catalog from every rule's name, so an exemption naming no rule is caught. */
export const exemptionValid = (knownRules: ReadonlySet<string>) => resourceRule({
  name: "exemption-valid",
  area: "exemptions",
  severity: "high",
  // Any resource may carry an exemption tag.
  types: "*",
  description: "Every `readiness:exempt:<rule>` tag names an existing rule, gives a reason of at least 10 characters and an expiry date that has not passed.",
  why: "An exemption is a decision someone must own and revisit; a reasonless or expired one silently switches a rule off.",
  remediationSteps: "Write the tag as `readiness:exempt:<rule-name>` = `<why this resource is exempt> expires=YYYY-MM-DD`, or fix the resource and remove the tag.",
  check: (props) => taggedExemptions(props.tags).flatMap((e) => [
    ...(knownRules.has(e.rule) ? [] : [`exemption names unknown rule "${e.rule}"`]),
    ...(e.valid ? [] : [`exemption from ${e.rule} is invalid: ${e.problem}`]),
  ]),
});
