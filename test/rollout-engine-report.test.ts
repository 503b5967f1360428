import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { RolloutState } from "../rollout/engine/model.ts";
import type { Analyser, MetricsSource } from "../rollout/engine/ports.ts";
import { buildReport, formatSummaryTable } from "../rollout/report/report.ts";
import { renderTimelineSvg } from "../rollout/report/timeline-svg.ts";
import { writeReports } from "../rollout/report/write.ts";
import { harness } from "./support/rollout-harness.ts";

/** A canary whose 5xx rate climbs 0.2 % per analysis: fine at 10 %, over 1 % during step 2. */
function degradingMetrics(): Analyser {
  let round = 0;
  return {
    name: "degrading",
    measure: async (context) => {
      round += 1;
      const rate = round * 0.002;
      return [
        { analyser: "metrics", metric: "5xx-rate", status: rate > 0.01 ? "fail" : "pass", value: rate, threshold: 0.01, version: context.version, message: `5xx ${rate}` },
        { analyser: "metrics", metric: "p95-ms", status: "pass", value: 100 + round * 10, threshold: 500, version: context.version, message: "p95" },
      ];
    },
  };
}

async function rolledBackState(): Promise<RolloutState> {
  return harness({ id: "r-report", image: "app:<2>", plan: { ...DEFAULT_PLAN, bakeMs: 30_000, intervalMs: 10_000 }, analysers: [degradingMetrics()] }).run();
}

/** A canary at 3 % 5xx against a clean stable, judged by the standard analysers. */
async function judgedState(): Promise<RolloutState> {
  const metrics: MetricsSource = { name: "m", sample: async (context) => ({ requests: context.version === "canary" ? 300 : 2_700, errors5xx: context.version === "canary" ? 9 : 0, p95Ms: 20, unhealthyTargets: 0, healthyTargets: 1 }) };
  return harness({ id: "r-evidence", plan: { ...DEFAULT_PLAN, bakeMs: 30_000, intervalMs: 10_000 }, metrics }).run();
}

describe("rollout reports", () => {
  it("shows the evidence per window: canary and stable values, the bound, the verdict and the rule", async () => {
    const state = await judgedState();
    assert.equal(state.phase, "rolled-back", state.reason);
    const report = buildReport(state);
    const rate = report.windows[0]?.metrics.find((metric) => metric.metric === "5xx-rate");
    assert.equal(rate?.status, "fail");
    assert.equal(rate?.evidence?.rule, "above-limit");
    assert.deepEqual([rate?.evidence?.canary.failures, rate?.evidence?.canary.trials, rate?.evidence?.stable?.failures, rate?.evidence?.stable?.trials], [9, 300, 0, 2_700]);
    assert.ok((rate?.evidence?.canary.lower ?? 0) > 0.01);
    assert.match(rate?.why ?? "", /lower bound above the limit 1\.00%/);
    assert.equal(report.failures.total, 1);
    const table = formatSummaryTable(report);
    assert.match(table, /^failed analyses: 1 \(limits: 0 per step, 0 per rollout, 0 in a row\)$/m);
    assert.match(table, /^\s+fail\s+5xx rate\s+3\.00% \(9\/300\) \| 0% \(0\/2700\) bounds 1\.\d+%\.\.\d\.\d+% over 1 window\(s\) limit 1\.00%, vs stable 0\.75\d*% \[above-limit\]$/m);
    assert.match(table, /^\s+pass\s+p95 latency\s+20 ms \| 20 ms limit 500 ms, vs stable 220 ms \[below-limit\]$/m);
  });


  it("summarises each step with its worst 5xx rate and p95, and the rollback reason", async () => {
    const state = await rolledBackState();
    assert.equal(state.phase, "rolled-back");
    const report = buildReport(state);
    assert.deepEqual(report.steps.map((step) => [step.canaryWeight, step.analyses, step.failed]), [[10, 3, 0], [50, 3, 1], [100, 0, 0]]);
    assert.equal(report.steps[1]?.worstErrorRate, 0.012);
    assert.equal(report.steps[1]?.worstP95Ms, 160);
    assert.deepEqual(report.markers.map((marker) => marker.kind), ["step", "step", "rollback"]);
    const table = formatSummaryTable(report);
    assert.match(table, /ROLLED-BACK after 1m/);
    assert.match(table, /^2\s+50%\s+3\s+2\s+1\s+0\s+0\s+1\.20%\s+160 ms$/m);
  });

  it("draws weight, 5xx and p95 panels with step and rollback markers, escaping text", async () => {
    const svg = renderTimelineSvg(buildReport(await rolledBackState()));
    assert.equal((svg.match(/<g class="panel"/g) ?? []).length, 3);
    assert.equal((svg.match(/<g class="marker step">/g) ?? []).length, 2);
    assert.equal((svg.match(/<g class="marker rollback">/g) ?? []).length, 1);
    assert.match(svg, /app:&#60;2&#62;/);
    assert.ok(!svg.includes("app:<2>"));
    // Every element opened is closed: a cheap well-formedness check without an XML parser.
    const opened = (svg.match(/<(g|svg|text|title)[\s>]/g) ?? []).length;
    const closed = (svg.match(/<\/(g|svg|text|title)>/g) ?? []).length;
    assert.equal(opened, closed);
  });

  it("writes report.json, timeline.svg and summary.txt under <dir>/<rollout id>/", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "rollout-report-"));
    try {
      const written = await writeReports(root, await rolledBackState());
      assert.equal(written.directory, path.join(root, "r-report"));
      const json = JSON.parse(await fs.readFile(written.files.json, "utf8")) as { outcome: string; reason: string };
      assert.equal(json.outcome, "rolled-back");
      assert.match(json.reason, /analysis failed/);
      assert.match(await fs.readFile(written.files.svg, "utf8"), /^<svg /);
      assert.match(await fs.readFile(written.files.summary, "utf8"), /ROLLED-BACK/);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
