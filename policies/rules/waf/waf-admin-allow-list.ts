import { isSet, items, num, text, type Props } from "../../core/inputs.ts";
import { T } from "../../core/resource-types.ts";
import { resourceRule } from "../../core/rule.ts";
import { webAclRules } from "./web-acl-rules.ts";

/**
 * The leaves of a statement with their polarity (false under an odd number of `notStatement`s), so
 * `and[admin, not(ipSet)]`, `and[not(ipSet), and[admin]]` and friends read the same.
 */
function leaves(statement: Props | undefined, positive = true): Array<{ s: Props; positive: boolean }> {
  if (!statement || typeof statement !== "object") return [];
  const children = [...items(statement.andStatement?.statements), ...items(statement.orStatement?.statements)];
  if (children.length > 0) return children.flatMap((c) => leaves(c, positive));
  if (statement.notStatement?.statement) return leaves(statement.notStatement.statement, !positive);
  return [{ s: statement, positive }];
}

/** A match on the admin path, whatever the positional constraint (STARTS_WITH, CONTAINS, EXACTLY) or a regex. */
function matchesAdmin(s: Props): boolean {
  return [s.byteMatchStatement?.searchString, s.regexMatchStatement?.regexString].some((v) => text(v).toLowerCase().includes("admin"));
}

/**
 * Whether the rules keep addresses outside an IP set away from the admin path, in either usual form: one
 * blocking rule "admin and not in the IP set", or an allowing rule "admin and in the IP set" evaluated before
 * a blocking rule "admin".
 */
function adminGuarded(rules: readonly Props[]): boolean {
  const parts = rules.map((rule) => {
    const all = leaves(rule.statement);
    const admin = all.some((l) => l.positive && matchesAdmin(l.s));
    const ipSet = all.find((l) => isSet(() => l.s.ipSetReferenceStatement?.arn));
    return { priority: num(rule.priority), block: rule.action?.block !== undefined, allow: rule.action?.allow !== undefined, admin, ipSet };
  });
  if (parts.some((p) => p.block && p.admin && p.ipSet?.positive === false)) return true;
  return parts.some((allow) => allow.allow && allow.admin && allow.ipSet?.positive === true &&
    parts.some((block) => block.block && block.admin && block.ipSet === undefined && !(block.priority <= allow.priority)));
}

export const wafAdminAllowList = resourceRule({
  name: "waf-admin-allow-list",
  area: "waf",
  severity: "high",
  environments: ["production"],
  types: T.webAcl,
  description: "In production the WebACL blocks the admin path for every address outside an IP set (the admin allow-list), written as one blocking rule or as an allow rule before a blocking one; statement order, nesting and the match's positional constraint do not matter.",
  why: "The Django admin is the most valuable login page of the application; exposing it to the internet invites credential stuffing.",
  remediationSteps: "Set `adminAllowCidrs` in the stack config; the firewall component then blocks `/admin` unless the source is in that IP set.",
  check: (props) => adminGuarded(webAclRules(props)) ? [] : ["no blocking rule restricts the admin path to an IP set"],
});
