import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument, type Node } from "yaml";
import type { GateReport, ReportLocation, RuleSummary, Violation } from "./judge-stack.ts";

/**
 * The rule a report carries when the gate could not judge resources because its inputs are wrong (invalid or
 * insecure stack config, an unreadable stack or project file, a program that throws). CI then still gets a
 * SARIF/JUnit/JSON file that shows the problem where code scanning and test reports look.
 */
export const STACK_CONFIG_RULE: RuleSummary = {
  name: "stack-config-valid",
  area: "config",
  severity: "high",
  description: "The stack's config is valid and safe for its environment, and the program runs with it; otherwise no resource can be checked.",
  remediationSteps: "Fix each config key as its result says (the fix names the exact `pulumi config` command), then run the gate again.",
  url: "https://github.com/readiness-platform/readiness/blob/main/docs/gate.md#reports-when-the-input-is-wrong",
  enforcementLevel: "mandatory",
};

/** One problem with a config key, as the program's config validation reports it (ConfigIssue's shape). */
export interface ConfigProblem {
  readonly key: string;
  readonly value: unknown;
  readonly problem: string;
  readonly fix: string;
}

export interface InputProblemContext {
  readonly project: string;
  readonly stack: string;
  readonly environment: string;
  /** Paths relative to where the gate ran, as the report shows them. */
  readonly programFile: string;
  readonly stackFile: string;
  /** Where the stack file is, to find each key's line; unreadable means line 1. */
  readonly stackFilePath: string;
}

/** A report with one mandatory result per config problem (at the key's line), or one for the whole failure. */
export function inputProblemReport(message: string, problems: readonly ConfigProblem[], context: InputProblemContext): GateReport {
  const lineOf = keyLineFinder(context.stackFilePath);
  const at = (line: number): ReportLocation => ({ file: context.stackFile, line });
  const violation = (text: string, remediation: string, location: ReportLocation): Violation => ({
    rule: STACK_CONFIG_RULE.name, severity: STACK_CONFIG_RULE.severity, enforcementLevel: "mandatory", message: text, remediation,
    url: STACK_CONFIG_RULE.url, unknownDuringPreview: false, location,
  });
  const violations = problems.length > 0
    ? problems.map((p) => violation(`${p.key} = ${p.value === undefined ? "(not set)" : JSON.stringify(p.value)}: ${p.problem}`, p.fix, at(lineOf(p.key))))
    : [violation(message, "fix the problem named, then run the gate again; nothing was checked", programLocation(message, context) ?? at(1))];
  return {
    project: context.project, stack: context.stack, environment: context.environment,
    programFile: context.programFile, stackFile: context.stackFile,
    summary: { resources: 0, mandatory: violations.length, advisory: 0, exemptions: 0 },
    rules: [STACK_CONFIG_RULE], violations, exemptions: [], inventory: [],
    coverage: { inspectedResources: 0, uninspectedTypes: [], componentsWithoutChildren: [] },
  };
}

/** A failure inside the program names its place (`<file>:<line>`): the result goes there. */
function programLocation(message: string, context: InputProblemContext): ReportLocation | undefined {
  const place = /((?:[\w@.-]+\/)*[\w@.-]+\.[cm]?[jt]s):(\d+)/.exec(message);
  if (place !== null && !place[1].endsWith(".yaml")) return { file: place[1], line: Number(place[2]) };
  return message.includes(context.programFile) && !message.includes(context.stackFile) ? { file: context.programFile, line: 1 } : undefined;
}

/**
 * The line of `Pulumi.<stack>.yaml` that sets a key such as `readiness:database.instances` (written as
 * `readiness:database:` with `instances:` under it, or without the project prefix); for a key that is not
 * set, the deepest parent that is, else the `config:` line, else 1.
 */
export function keyLineFinder(stackFilePath: string): (key: string) => number {
  let text: string;
  try {
    text = readFileSync(stackFilePath, "utf8");
  } catch {
    return () => 1;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOfNode = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const config = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "config") : undefined;
  return (key) => {
    if (config === undefined) return 1;
    const [namespace, dotted = ""] = key.includes(":") ? [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)] : ["", key];
    const [first = "", ...rest] = dotted.split(".").map((s) => s.replace(/\[\d+\]$/, ""));
    let line = lineOfNode(config.key as Node) ?? 1;
    let node = config.value as Node | null;
    for (const segment of [first, ...rest]) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && (p.key.value === segment || (segment === first && p.key.value === `${namespace}:${first}`)));
      if (pair === undefined) break;
      line = lineOfNode(pair.key as Node) ?? line;
      node = pair.value as Node | null;
    }
    return line;
  };
}
