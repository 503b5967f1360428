/**
 * Runs the gate over every fixture program (test/fixtures/programs/<name>) as `npm run gate -- --dir <dir>
 * --stack dev` would, and prints per program: loaded / exit 2 with its cause / crashed, the time, and the
 * findings per rule. Targets (issue 10): every valid program loads, no failure is ever exit 1, median < 2 s.
 * A fixture whose name starts with `broken-` or is `throw-in-apply` is a broken program: exit 2 is right for it.
 * `npm run bench:gate-corpus -- <dir>` runs another corpus (program directories with Pulumi.dev.yaml) the same way.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gateExitCode } from "../gate/exit-code.ts";
import { GateLoadError, runGate } from "../gate/run-gate.ts";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "programs");
/** Another corpus (a directory of program directories, each with Pulumi.yaml and Pulumi.dev.yaml) may be given. */
const ROOT = process.argv[2] ? path.resolve(process.argv[2]) : FIXTURES;
const OWN = ROOT === FIXTURES;

function isBrokenFixture(name: string): boolean {
  return OWN && (name.startsWith("broken-") || name === "throw-in-apply");
}

interface Outcome {
  readonly name: string;
  readonly status: "loaded" | "exit 2" | "crashed";
  readonly exitCode: number;
  readonly ms: number;
  /** CPU seconds of the gate and the program's process together. */
  readonly cpu: number;
  readonly detail: string;
  readonly findings: Record<string, number>;
}

/**
 * CPU seconds used so far by this process and the child processes it waited for (the program hosts), from
 * /proc/self/stat (utime, stime, cutime, cstime in clock ticks of 1/100 s). Wall time on a shared machine
 * measures the other tenants too; CPU time is what a program costs the gate.
 */
function cpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /, "").split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

async function runOne(name: string): Promise<Outcome> {
  const started = performance.now();
  const cpuStart = cpuSeconds();
  try {
    const report = await runGate({ stack: "dev", dir: path.join(ROOT, name) });
    const findings: Record<string, number> = {};
    for (const v of report.violations) findings[v.rule] = (findings[v.rule] ?? 0) + 1;
    const detail = `${report.summary.resources} resources, ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory`;
    return { name, status: "loaded", exitCode: gateExitCode(report), ms: performance.now() - started, cpu: cpuSeconds() - cpuStart, detail, findings };
  } catch (err) {
    const loadError = err instanceof GateLoadError;
    const detail = ((err as Error).message ?? String(err)).split("\n")[0];
    return { name, status: loadError ? "exit 2" : "crashed", exitCode: 2, ms: performance.now() - started, cpu: cpuSeconds() - cpuStart, detail, findings: {} };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const loadBefore = os.loadavg();
const names = (await readdir(ROOT, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const outcomes: Outcome[] = [];
for (const name of names) {
  const outcome = await runOne(name);
  outcomes.push(outcome);
  const expected = isBrokenFixture(name) ? "exit 2" : "loaded";
  const mark = !OWN ? "   " : outcome.status === expected ? "ok " : "BAD";
  console.log(`${mark} ${name.padEnd(28)} ${outcome.status.padEnd(7)} exit ${outcome.exitCode}  ${(outcome.ms / 1000).toFixed(2).padStart(6)} s wall ${outcome.cpu.toFixed(2).padStart(5)} s cpu  ${outcome.detail}`);
}

const totals: Record<string, number> = {};
for (const o of outcomes) for (const [rule, n] of Object.entries(o.findings)) totals[rule] = (totals[rule] ?? 0) + n;
console.log("\nfindings per rule (all programs):");
for (const [rule, n] of Object.entries(totals).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(3)}  ${rule}`);

const valid = outcomes.filter((o) => !isBrokenFixture(o.name));
const broken = outcomes.filter((o) => isBrokenFixture(o.name));
const ms = outcomes.map((o) => o.ms);
console.log(`\nprograms: ${outcomes.length} in ${ROOT}${OWN ? ` (${valid.length} valid, ${broken.length} broken on purpose)` : ""}`);
console.log(`loaded: ${outcomes.filter((o) => o.status === "loaded").length}, exit 2: ${outcomes.filter((o) => o.status === "exit 2").length}`);
console.log(`valid programs loaded: ${valid.filter((o) => o.status === "loaded").length}/${valid.length}`);
console.log(`broken programs refused with exit 2 and a cause: ${broken.filter((o) => o.status === "exit 2").length}/${broken.length}`);
console.log(`crashed (the gate's own failure): ${outcomes.filter((o) => o.status === "crashed").length}`);
console.log(`failures reported as exit 1: ${outcomes.filter((o) => o.status !== "loaded" && o.exitCode === 1).length}`);
const cpu = outcomes.map((o) => o.cpu);
console.log(`wall time per program: median ${(median(ms) / 1000).toFixed(2)} s, min ${(Math.min(...ms) / 1000).toFixed(2)} s, max ${(Math.max(...ms) / 1000).toFixed(2)} s (target: median < 2 s)`);
console.log(`CPU time per program (gate + program process): median ${median(cpu).toFixed(2)} s, min ${Math.min(...cpu).toFixed(2)} s, max ${Math.max(...cpu).toFixed(2)} s`);
console.log(`machine: ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(1)).join(" ")} before, ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} after (wall time is CPU time only on an idle machine)`);
