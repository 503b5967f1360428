import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Command, CommanderError } from "commander";
import { EXIT } from "../cli/exit-codes.ts";
import { exitCodeForError, exitCodeForPhase, Refusal } from "../rollout/cli/exit-codes.ts";
import { withCommon } from "../rollout/cli/options.ts";
import { flagOf, planFromFlags, planInputOf, withPlanFlags } from "../rollout/cli/plan-flags.ts";
import { cancelOnSignals, type CancelSource } from "../rollout/cli/signals.ts";
import { buildPlan, planPaths } from "../rollout/engine/plan.ts";
import type { RolloutPhase } from "../rollout/engine/model.ts";
import { StoreDamageError } from "../rollout/store/damage.ts";

/** commander's options for `argv` on a command carrying the plan flags, as `plan` and `start` parse them. */
function parsed(argv: readonly string[]): Readonly<Record<string, unknown>> {
  const command = withPlanFlags(withCommon(new Command("plan"))).exitOverride();
  command.parse([...argv], { from: "user" });
  return command.opts();
}

describe("rollout CLI: plan flags (the CLI's names for the plan's fields)", () => {
  it("gives every field of the plan input, every metric limit and analysis setting included, its own flag", () => {
    const flags = planPaths().map((path) => [path, flagOf(path)] as const);
    for (const [path, flag] of flags) assert.match(flag, /^--[a-z][a-z0-9-]*$/, `plan field ${path} has no flag in rollout/cli/plan-flags.ts`);
    assert.equal(new Set(flags.map(([, flag]) => flag)).size, flags.length, "two plan fields share a flag");
    assert.ok(planPaths().includes("thresholds.maxP95Ms") && planPaths().includes("approvalBeforeEachStep"));
  });

  it("declares no plan flag without a plan field: every option of `plan` is a common option or a field's flag", () => {
    const command = withPlanFlags(withCommon(new Command("plan")));
    const common = withCommon(new Command("x")).options.map((option) => option.long);
    const fieldFlags = new Set(planPaths().map(flagOf));
    for (const option of command.options) {
      if (!common.includes(option.long)) assert.ok(fieldFlags.has(option.long as string), `${option.long} sets no field of the plan input`);
    }
  });

  it("puts each flag's value at its field's path, one name from the flag table to the plan", () => {
    const input = planInputOf(parsed(["--bake", "2m", "--max-p95", "300", "--hook", "a=b", "--hook", "c=d", "--no-baseline", "--non-interactive", "--require-approval", "--on-drift", "pause"]));
    assert.deepEqual(input, { bakeMs: "2m", baseline: false, hooks: ["a=b", "c=d"], approvalBeforeEachStep: true, driftPolicy: "pause", inconclusivePolicy: "fail", thresholds: { maxP95Ms: "300" } });
    const result = planFromFlags(parsed(["--bake", "2m", "--max-p95", "300", "--require-approval", "--non-interactive"]));
    assert.ok(result.ok);
    assert.deepEqual([result.plan.bakeMs, result.plan.thresholds.maxP95Ms, result.plan.approvalBeforeEachStep, result.plan.inconclusivePolicy, result.plan.driftPolicy], [120_000, 300, true, "fail", "rollback"]);
  });

  it("names every problem by its flag, other fields in the message too, all at once", () => {
    const result = planFromFlags(parsed(["--steps", "50,10,120", "--bake", "5s", "--interval", "10s", "--failure-limit=-1", "--max-p95", "fast", "--confidence", "50", "--hook", "nocommand", "--max-bake", "1s"]));
    assert.ok(!result.ok);
    assert.deepEqual(
      result.issues.map((issue) => `${issue.field}: ${issue.problem}`),
      [
        "--steps: has a weight outside 1-100",
        "--steps: is not strictly increasing",
        "--steps: does not end at 100 (the canary must carry all traffic before it is promoted)",
        "--bake: is shorter than --interval (10s), so a step would never be analysed",
        "--failure-limit: is not an integer >= 0",
        "--max-bake: is shorter than --bake (5s)",
        "--max-p95: is not a number >= 1",
        "--confidence: is not above 50",
        "--hook: is not name=command",
      ],
    );
    assert.ok(result.issues.every((issue) => issue.fix.length > 0 && issue.value.length > 0));
    assert.match(result.issues.find((issue) => issue.field === "--bake")?.fix ?? "", /make --bake at least as long as --interval/);
    assert.match(result.issues.find((issue) => issue.field === "--hook")?.fix ?? "", /write e\.g\. --hook 'migrate=/);
  });

  it("the engine's plan names no flag: its messages use paths unless the caller names them", () => {
    const result = buildPlan({ bakeMs: "5s", intervalMs: "10s", thresholds: { maxQueue: "3" } });
    assert.ok(!result.ok);
    assert.ok(result.issues.every((issue) => !`${issue.path} ${issue.problem} ${issue.fix}`.includes("--")), JSON.stringify(result.issues));
    assert.match(result.issues.find((issue) => issue.path === "thresholds.maxQueue")?.fix ?? "", /use one of thresholds\.max5xxRate/);
  });

  it("refuses an input field nobody knows, by path, with the fields it accepts (zod strict)", () => {
    const result = buildPlan({ bake: "5s", manualGate: true } as never);
    assert.ok(!result.ok);
    assert.deepEqual(result.issues.map((issue) => `${issue.path}=${issue.value} ${issue.problem}`), ["bake=\"5s\" is not a field of the plan input", "manualGate=true is not a field of the plan input"]);
    assert.match(result.issues[0]?.fix ?? "", /bakeMs/);
  });
});

describe("rollout CLI: the exit-code table", () => {
  const PHASES: Readonly<Record<RolloutPhase, number>> = {
    promoted: EXIT.ok,
    "rolled-back": EXIT.failed,
    aborted: EXIT.failed,
    paused: EXIT.needsHuman,
    "awaiting-approval": EXIT.needsHuman,
    "rollback-failed": EXIT.unsafe,
    planned: EXIT.unsafe,
    deploying: EXIT.unsafe,
    "pre-traffic-hooks": EXIT.unsafe,
    shifting: EXIT.unsafe,
    baking: EXIT.unsafe,
    analysing: EXIT.unsafe,
    promoting: EXIT.unsafe,
    "rolling-back": EXIT.unsafe,
  };

  it("maps every final phase to the contract; a rollout stopped mid-way is never success", () => {
    for (const [phase, code] of Object.entries(PHASES)) assert.equal(exitCodeForPhase(phase as RolloutPhase), code, phase);
  });

  it("maps refusals, usage errors and damaged state to 2 with their message, --help to 0, and leaves crashes to the caller", () => {
    const program = new Command("rollout");
    let written = "";
    const write = (text: string) => void (written += text);
    assert.equal(exitCodeForError(new Refusal("refused: busy"), program, write), EXIT.badInput);
    assert.equal(exitCodeForError(new StoreDamageError("state.json", "not JSON", ["rm state.json"]), program, write), EXIT.badInput);
    assert.equal(exitCodeForError(new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"), program, write), EXIT.ok);
    assert.equal(exitCodeForError(new CommanderError(1, "commander.unknownOption", "error: unknown option"), program, write), EXIT.badInput);
    assert.equal(exitCodeForError(new Error("bug"), program, write), undefined);
    assert.match(written, /^refused: busy\nrefused: state\.json is damaged: not JSON/);
  });
});

describe("rollout CLI: signals", () => {
  it("aborts on the first SIGINT/SIGTERM, only says so on the next, and unsubscribes when the run ends", () => {
    const source = new EventEmitter();
    const lines: string[] = [];
    const cancel = cancelOnSignals(source as unknown as CancelSource, (text) => lines.push(text));
    assert.equal(source.listenerCount("SIGINT") + source.listenerCount("SIGTERM"), 2);
    source.emit("SIGTERM", "SIGTERM");
    assert.equal(cancel.signal.aborted, true);
    assert.equal(cancel.signal.reason, "SIGTERM");
    source.emit("SIGINT", "SIGINT");
    assert.equal(cancel.signal.reason, "SIGTERM", "a second signal does not interrupt the rollback");
    assert.deepEqual(lines.map((line) => line.split(":")[0]), ["SIGTERM received", "SIGINT again"]);
    cancel.dispose();
    assert.equal(source.listenerCount("SIGINT") + source.listenerCount("SIGTERM"), 0);
  });
});
