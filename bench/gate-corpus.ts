/**
 * Runs the gate over every fixture program (test/fixtures/programs/<name>) as `npm run gate -- --dir <dir>
 * --stack dev` would, and prints per program: loaded / exit 2 with its cause / crashed, the time, and the
 * findings per rule. Targets (issue 10): every valid program loads, no failure is ever exit 1, median < 2 s.
 * A fixture whose name starts with `broken-` or is `throw-in-apply` is a broken program: exit 2 is right for it.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exitCodeFor } from "../gate/exit-code.ts";
import { GateLoadError, runGate } from "../gate/run-gate.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "programs");

export function isBrokenFixture(name: string): boolean {
  return name.startsWith("broken-") || name === "throw-in-apply";
}

interface Outcome {
  readonly name: string;
  readonly status: "loaded" | "exit 2" | "crashed";
  readonly exitCode: number;
  readonly ms: number;
  readonly detail: string;
  readonly findings: Record<string, number>;
}

async function runOne(name: string): Promise<Outcome> {
  const started = performance.now();
  try {
    const report = await runGate({ stack: "dev", dir: path.join(ROOT, name) });
    const findings: Record<string, number> = {};
    for (const v of report.violations) findings[v.rule] = (findings[v.rule] ?? 0) + 1;
    const detail = `${report.summary.resources} resources, ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory`;
    return { name, status: "loaded", exitCode: exitCodeFor(report), ms: performance.now() - started, detail, findings };
  } catch (err) {
    const loadError = err instanceof GateLoadError;
    const detail = ((err as Error).message ?? String(err)).split("\n")[0];
    return { name, status: loadError ? "exit 2" : "crashed", exitCode: 2, ms: performance.now() - started, detail, findings: {} };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const names = (await readdir(ROOT, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const outcomes: Outcome[] = [];
for (const name of names) {
  const outcome = await runOne(name);
  outcomes.push(outcome);
  const expected = isBrokenFixture(name) ? "exit 2" : "loaded";
  const mark = outcome.status === expected ? "ok " : "BAD";
  console.log(`${mark} ${name.padEnd(28)} ${outcome.status.padEnd(7)} exit ${outcome.exitCode}  ${(outcome.ms / 1000).toFixed(2).padStart(6)} s  ${outcome.detail}`);
}

const totals: Record<string, number> = {};
for (const o of outcomes) for (const [rule, n] of Object.entries(o.findings)) totals[rule] = (totals[rule] ?? 0) + n;
console.log("\nfindings per rule (all programs):");
for (const [rule, n] of Object.entries(totals).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)}  ${rule}`);

const valid = outcomes.filter((o) => !isBrokenFixture(o.name));
const broken = outcomes.filter((o) => isBrokenFixture(o.name));
const ms = outcomes.map((o) => o.ms);
console.log(`\nprograms: ${outcomes.length} (${valid.length} valid, ${broken.length} broken on purpose)`);
console.log(`valid programs loaded: ${valid.filter((o) => o.status === "loaded").length}/${valid.length}`);
console.log(`broken programs refused with exit 2 and a cause: ${broken.filter((o) => o.status === "exit 2").length}/${broken.length}`);
console.log(`crashed (the gate's own failure): ${outcomes.filter((o) => o.status === "crashed").length}`);
console.log(`failures reported as exit 1: ${outcomes.filter((o) => o.status !== "loaded" && o.exitCode === 1).length}`);
console.log(`time per program: median ${(median(ms) / 1000).toFixed(2)} s, min ${(Math.min(...ms) / 1000).toFixed(2)} s, max ${(Math.max(...ms) / 1000).toFixed(2)} s (target: median < 2 s)`);
