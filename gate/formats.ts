import type { Coverage, GateReport, Violation } from "./judge-stack.ts";
import { STACK_CONFIG_RULE } from "./input-problems.ts";

export const GATE_TOOL = { name: "readiness-gate", version: "0.1.0", informationUri: "https://github.com/readiness-platform/readiness/blob/main/docs/gate.md" };

const SEVERITY_ORDER = ["critical", "high", "medium", "low"] as const;

/** What the gate could not check, in words: every format carries these lines. */
export function coverageLines(coverage: Coverage, resources: number): string[] {
  const uninspected = coverage.uninspectedTypes.reduce((n, t) => n + t.count, 0);
  return [
    `${coverage.inspectedResources} of ${resources} resources are of a type some rule inspects`,
    uninspected === 0
      ? "every cloud resource type is inspected by some rule"
      : `not inspected by any rule (${uninspected}): ${coverage.uninspectedTypes.map((t) => `${t.type} (${t.count})`).join(", ")}`,
    ...coverage.componentsWithoutChildren.map((c) => c.judgedFromInputs
      ? `component ${c.name} (${c.type}): its children cannot be seen offline; judged from its inputs as the children awsx would create`
      : `component ${c.name} (${c.type}): its children cannot be seen offline and no rule judges its inputs; run \`pulumi preview --policy-pack\` to check them`),
  ];
}

/** Readable report: violations grouped by severity, then by resource, each with its fix; exemptions always listed. */
export function formatText(report: GateReport): string {
  const lines = [
    `readiness gate: ${report.project}/${report.stack} (environment ${report.environment}), ${report.summary.resources} resources`,
    `${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory violation(s)`,
  ];
  if (report.unknownFunctions?.length) lines.push(`not checked: results of ${report.unknownFunctions.join(", ")} are unknown offline (see docs/gate.md)`);
  for (const severity of SEVERITY_ORDER) {
    const inSeverity = report.violations.filter((v) => v.severity === severity);
    if (inSeverity.length === 0) continue;
    lines.push("", `${severity.toUpperCase()} (${inSeverity.length})`);
    const byResource = groupBy(inSeverity, (v) => v.resource ? `${v.resource.name} (${v.resource.type})` : "(stack)");
    for (const [resource, violations] of byResource) {
      lines.push(`  ${resource}`);
      for (const v of violations) {
        lines.push(`    [${v.enforcementLevel}] ${v.rule}: ${v.message}`, `      fix: ${v.remediation}`);
        if (v.location) lines.push(`      at ${v.location.file}:${v.location.line}`);
      }
    }
  }
  lines.push("", `exemptions (${report.exemptions.length})`);
  if (report.exemptions.length === 0) lines.push("  none");
  for (const e of report.exemptions) {
    lines.push(`  ${e.resource}: ${e.rule} via ${e.source}${e.expires ? ` until ${e.expires}` : ""}: ${e.reason || "(no reason)"}${e.valid ? "" : ` INVALID: ${e.problem}`}`);
  }
  const inputOnly = report.rules.length === 1 && report.rules[0].name === STACK_CONFIG_RULE.name;
  if (!inputOnly) lines.push("", "coverage", ...coverageLines(report.coverage, report.summary.resources).map((l) => `  ${l}`));
  lines.push("", inputOnly ? "NOT CHECKED: no resource was checked; fix the stack config above, then run the gate again"
    : report.summary.mandatory > 0 ? "FAILED: mandatory violations must be fixed (or exempted with a reason and an expiry)" : "PASSED");
  return `${lines.join("\n")}\n`;
}

export function formatJson(report: GateReport): string {
  return `${JSON.stringify({ tool: GATE_TOOL, ...report }, null, 2)}\n`;
}

const SECURITY_SEVERITY = { critical: "9.5", high: "8.0", medium: "5.5", low: "2.0" } as const;

function sarifLevel(v: Violation): "error" | "warning" | "note" {
  if (v.enforcementLevel === "mandatory") return "error";
  return v.severity === "low" ? "note" : "warning";
}

/**
 * SARIF 2.1.0 as GitHub code scanning takes it: rules with help; each result at the line that declares its
 * resource (or the stack file's key), the program's entry file where that is not known.
 */
export function formatSarif(report: GateReport): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.name, i]));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: {
        driver: {
          ...GATE_TOOL,
          rules: report.rules.map((r) => ({
            id: r.name,
            name: r.name.split("-").map((w) => w[0].toUpperCase() + w.slice(1)).join(""),
            shortDescription: { text: r.description },
            fullDescription: { text: r.description },
            help: { text: `${r.description}\nFix: ${r.remediationSteps}`, markdown: `${r.description}\n\n**Fix:** ${r.remediationSteps}` },
            helpUri: r.url,
            defaultConfiguration: { level: r.enforcementLevel === "mandatory" ? "error" : "warning" },
            properties: { tags: ["readiness", r.area], "security-severity": SECURITY_SEVERITY[r.severity], precision: "high" },
          })),
        },
      },
      automationDetails: { id: `readiness-gate/${report.stack}/` },
      // What the gate could not check, as SARIF states a tool's limits: notifications of the invocation.
      invocations: [{
        executionSuccessful: true,
        toolExecutionNotifications: coverageLines(report.coverage, report.summary.resources).map((text) => ({ level: "note", message: { text } })),
      }],
      properties: { coverage: report.coverage },
      results: report.violations.map((v) => ({
        ruleId: v.rule,
        ruleIndex: ruleIndex.get(v.rule),
        level: sarifLevel(v),
        message: { text: `${v.resource ? `${v.resource.name} (${v.resource.type}): ` : ""}${v.message}. Fix: ${v.remediation}` },
        locations: [{
          physicalLocation: { artifactLocation: { uri: v.location?.file ?? report.programFile }, region: { startLine: v.location?.line ?? 1 } },
          ...(v.resource ? { logicalLocations: [{ name: v.resource.name, fullyQualifiedName: v.resource.urn, kind: "resource" }] } : {}),
        }],
        partialFingerprints: { readinessResource: `${v.rule}/${v.resource?.urn ?? report.stack}` },
        properties: { enforcementLevel: v.enforcementLevel, severity: v.severity, stack: report.stack },
      })),
    }],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** JUnit XML: one test case per rule; mandatory violations fail it, advisory ones go to its output. */
export function formatJunit(report: GateReport): string {
  const cases = report.rules.map((rule) => {
    const found = report.violations.filter((v) => v.rule === rule.name);
    const failing = found.filter((v) => v.enforcementLevel === "mandatory");
    const describe = (v: Violation) => `${v.resource?.name ?? "(stack)"}: ${v.message}`;
    const failure = failing.length === 0 ? "" :
      `\n      <failure message="${xml(`${failing.length} mandatory violation(s)`)}" type="${rule.severity}">${xml(`${failing.map(describe).join("\n")}\nFix: ${rule.remediationSteps}`)}</failure>`;
    const advisory = found.filter((v) => v.enforcementLevel !== "mandatory");
    const out = advisory.length === 0 ? "" : `\n      <system-out>${xml(advisory.map((v) => `advisory ${describe(v)}`).join("\n"))}</system-out>`;
    return `    <testcase classname="${xml(`readiness.${report.stack}.${rule.area}`)}" name="${xml(rule.name)}">${failure}${out}\n    </testcase>`;
  });
  const failures = report.rules.filter((r) => report.violations.some((v) => v.rule === r.name && v.enforcementLevel === "mandatory")).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="readiness-gate" tests="${report.rules.length}" failures="${failures}">\n` +
    `  <testsuite name="${xml(`${report.project}/${report.stack}`)}" tests="${report.rules.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join("\n")}\n` +
    `    <system-out>${xml(coverageLines(report.coverage, report.summary.resources).join("\n"))}</system-out>\n  </testsuite>\n</testsuites>\n`;
}

export const FORMATS = { text: formatText, json: formatJson, sarif: formatSarif, junit: formatJunit } as const;
export type Format = keyof typeof FORMATS;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
