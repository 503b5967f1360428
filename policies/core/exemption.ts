/** Tag key prefix: `readiness:exempt:<rule-name>`. */
export const EXEMPTION_TAG_PREFIX = "readiness:exempt:";
export const MIN_REASON_LENGTH = 10;

/**
 * `<reason> expires=YYYY-MM-DD`. AWS tag values only allow letters, digits, spaces and `_ . : / = + - @`,
 * so the separator is whitespace (a `;` is tolerated for pack-config exemptions, which have no such limit).
 */
const EXEMPTION_VALUE = /^(?<reason>.*?)[\s;]*expires=(?<expires>\d{4}-\d{2}-\d{2})\s*$/s;

export interface Exemption {
  readonly rule: string;
  readonly reason: string;
  readonly expires?: string;
  readonly valid: boolean;
  /** Why the exemption does not count, when it does not. */
  readonly problem?: string;
}

/** Today's date as `YYYY-MM-DD` (UTC): an exemption is valid through its expiry day. */
export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function parseExemption(rule: string, value: string, now = new Date()): Exemption {
  const match = EXEMPTION_VALUE.exec(value);
  if (!match?.groups) {
    return { rule, reason: value.trim(), valid: false, problem: `"${value}" has no "expires=YYYY-MM-DD"` };
  }
  const reason = match.groups.reason.trim();
  const expires = match.groups.expires;
  const problems: string[] = [];
  if (reason.length < MIN_REASON_LENGTH) problems.push(`reason "${reason}" is shorter than ${MIN_REASON_LENGTH} characters`);
  if (Number.isNaN(Date.parse(`${expires}T00:00:00Z`))) problems.push(`expiry ${expires} is not a date`);
  else if (expires < today(now)) problems.push(`expired on ${expires}`);
  return problems.length === 0
    ? { rule, reason, expires, valid: true }
    : { rule, reason, expires, valid: false, problem: problems.join("; ") };
}

/** The exemption from `rule` a resource carries (tag first, then pack config), if any. */
export function exemptionFor(rule: string, tags: unknown, configured: string | undefined, now = new Date()): Exemption | undefined {
  const tagged = isRecord(tags) ? tags[`${EXEMPTION_TAG_PREFIX}${rule}`] : undefined;
  const value = typeof tagged === "string" ? tagged : configured;
  return value === undefined ? undefined : parseExemption(rule, value, now);
}

/** Every exemption tag on a resource, valid or not. */
export function taggedExemptions(tags: unknown, now = new Date()): Exemption[] {
  if (!isRecord(tags)) return [];
  return Object.entries(tags)
    .filter(([key, value]) => key.startsWith(EXEMPTION_TAG_PREFIX) && typeof value === "string")
    .map(([key, value]) => parseExemption(key.slice(EXEMPTION_TAG_PREFIX.length), value as string, now));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
