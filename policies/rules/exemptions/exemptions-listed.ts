import { taggedExemptions } from "../../core/exemption.ts";
import { stackRule } from "../../core/rule.ts";

export const exemptionsListed = stackRule({
  name: "exemptions-listed",
  area: "exemptions",
  severity: "low",
  types: "*",
  description: "Lists every valid exemption in use, so each preview shows what is switched off and until when.",
  why: "Exemptions that nobody sees are never revisited.",
  remediationSteps: "Nothing to fix: review the list and remove exemptions that are no longer needed.",
  check: (resources) => resources.flatMap((r) => taggedExemptions(r.props.tags)
    .filter((e) => e.valid)
    .map((e) => ({ message: `${r.name} is exempt from ${e.rule} until ${e.expires}: ${e.reason}`, urn: r.urn }))),
});
