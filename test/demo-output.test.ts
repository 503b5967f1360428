import assert from "node:assert/strict";
import { demoSummaryLines } from "../scripts/demo-summary.ts";

describe("demo summary", () => {
  const outcomes = [
    { name: "healthy", image: "sample-app:2.0.0", exitCode: 0, expected: "promoted", requests: 2200, failed: 0, reportDir: "reports/demo/healthy" },
    { name: "failing", image: "sample-app:3.0.0?error-rate=0.3&latency-ms=800&readiness-fails=true", exitCode: 1, expected: "rolled back", requests: 600, failed: 7, reportDir: "reports/demo/failing" },
  ];
  const total = { requests: 2825, failed: 7, statusCounts: { 200: 2818, 500: 7 } };
  const lines = demoSummaryLines(outcomes, total);
  const counted = (line: string) => {
    const match = /(\d+) requests\s+(\d+) failed/.exec(line);
    assert.ok(match, line);
    return { requests: Number(match[1]), failed: Number(match[2]) };
  };

  it("has rows whose requests and failures add up to the total (traffic outside the rollouts is its own row)", () => {
    const rows = lines.slice(1, -1).map(counted);
    const last = counted(lines.at(-1) ?? "");
    assert.deepEqual(last, { requests: 2825, failed: 7 });
    assert.equal(rows.reduce((sum, r) => sum + r.requests, 0), last.requests);
    assert.equal(rows.reduce((sum, r) => sum + r.failed, 0), last.failed);
    assert.deepEqual(rows.at(-1), { requests: 25, failed: 0 });
    assert.match(lines.at(-1) ?? "", /200: 2818, 500: 7/);
  });

  it("fits every line in 120 columns, cutting a long image name visibly", () => {
    for (const line of lines) assert.ok(line.length <= 120, `${line.length}: ${line}`);
    assert.match(lines[2], /sample-app:3\.0\.0\?error-rate=0\.3\S*\.\.\. exit 1 \(rolled back\)/);
  });
});
