import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { lineReporter, terminalReporter } from "../rollout/cli/progress.ts";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { RolloutEvent } from "../rollout/engine/model.ts";

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join("") };
}

const AT = Date.parse("2026-01-01T00:00:00Z");
const plan = { ...DEFAULT_PLAN, bakeMs: 60_000 };
const events: RolloutEvent[] = [
  { type: "phase", at: AT, transition: { from: "pre-traffic-hooks", to: "shifting", at: AT, step: 1 } },
  { type: "weights", at: AT, record: { at: AT, step: 1, weights: { stable: 50, canary: 50 }, verified: true } },
  { type: "phase", at: AT, transition: { from: "shifting", to: "baking", at: AT, step: 1 } },
  {
    type: "analysis",
    at: AT + 10_000,
    bakeRemainingMs: 50_000,
    record: {
      at: AT + 10_000,
      step: 1,
      canaryWeight: 50,
      verdict: "fail",
      measurements: [
        { analyser: "metrics", metric: "5xx-rate", status: "fail", value: 0.2, message: "canary 5xx rate 20% (2/10) > 1%" },
        { analyser: "metrics", metric: "p95-ms", status: "pass", value: 12, message: "canary p95 12 ms <= 500 ms" },
      ],
    },
  },
  { type: "phase", at: AT + 10_000, transition: { from: "analysing", to: "rolling-back", at: AT + 10_000, step: 1, reason: "analysis failed" } },
];

describe("rollout progress", () => {
  it("writes one self-contained line per event for CI logs", () => {
    const out = sink();
    const reporter = lineReporter(out.stream, plan);
    for (const event of events) reporter.emit(event);
    reporter.close();
    assert.deepEqual(out.text().trimEnd().split("\n"), [
      "00:00:00.000 pre-traffic-hooks -> shifting step 2/3 (canary 50%)",
      "00:00:00.000 weights stable 50 / canary 50 verified",
      "00:00:00.000 shifting -> baking step 2/3 (canary 50%)",
      "00:00:10.000 analysis step 2 (canary 50%): fail, 1/2 passed, 50s left - 5xx rate 20% (2/10) > 1%",
      "00:00:10.000 analysing -> rolling-back step 2/3 (canary 50%): analysis failed",
    ]);
  });

  it("says a rollback's reason once and keeps every line within 120 columns", () => {
    const out = sink();
    const reporter = lineReporter(out.stream, plan);
    const reason = "analysis failed 1 time(s) at step 2 (canary 50%), limit 0: canary 5xx rate 35% (7/20) > 1%";
    const many = Array.from({ length: 6 }, (_, i) => ({ analyser: "metrics", metric: `m${i}`, status: "pass" as const, value: i, message: `canary metric number ${i} is ${i} ms <= 500 ms` }));
    reporter.emit({ type: "analysis", at: AT, bakeRemainingMs: 4_000, record: { at: AT, step: 1, canaryWeight: 50, verdict: "pass", measurements: many } });
    reporter.emit({ type: "log", at: AT, level: "error", message: `rolling back: ${reason}` });
    reporter.emit({ type: "phase", at: AT, transition: { from: "analysing", to: "rolling-back", at: AT, step: 1, reason } });
    reporter.emit({ type: "phase", at: AT, transition: { from: "rolling-back", to: "rolled-back", at: AT, step: 1, reason } });
    reporter.close();
    const lines = out.text().trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.includes("5xx rate 35%")).length, 1, lines.join("\n"));
    assert.match(lines.at(-1) ?? "", /rolling-back -> rolled-back step 2\/3 \(canary 50%\)$/);
    for (const line of lines) assert.ok(line.length <= 120, `${line.length} columns: ${line}`);
    assert.match(lines[1], /^ {13}\S/, "a line too long for the terminal wraps onto an indented line");
    assert.ok(out.text().includes("metric number 5 is 5 ms"), "nothing is cut off");
  });

  it("redraws a live block with step, weights, time left in the bake and the latest measurements", () => {
    const out = sink();
    let now = AT + 10_000;
    const reporter = terminalReporter(out.stream, plan, () => now);
    for (const event of events.slice(0, 4)) reporter.emit(event);
    now = AT + 25_000;
    reporter.emit({ type: "log", at: now, level: "info", message: "tick" });
    reporter.close();
    const screen = out.text();
    assert.match(screen, /step 2\/3 \(canary 50%\)\s+stable 50 \/ canary 50\s+bake left 35s/);
    assert.match(screen, /FAIL\s+canary 5xx rate 20% \(2\/10\) > 1%/);
    // Redraws move the cursor up over the previous block instead of scrolling it away.
    assert.ok(screen.includes("\u001b[3F\u001b[J"), "cursor moved up over the 3-line block and cleared");
  });
});
