import assert from "node:assert/strict";
import { Resvg } from "@resvg/resvg-js";
import { DEFAULT_PLAN } from "../rollout/engine/plan.ts";
import type { RolloutReport } from "../rollout/report/report.ts";
import { CHAR_WIDTH, renderTimelineSvg } from "../rollout/report/timeline-svg.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const s = (seconds: number) => T0 + seconds * 1000;
const plan = { ...DEFAULT_PLAN, steps: [10, 50, 100], bakeMs: 6_000, intervalMs: 2_000 };

function report(overrides: Partial<RolloutReport>): RolloutReport {
  return {
    id: "r1", environment: "demo", target: "local", image: "sample-app:2.0.0", stableImage: "sample-app:1.0.0",
    outcome: "promoted", startedAt: new Date(T0).toISOString(), durationMs: 20_000, steps: [], weights: [], timeline: [], markers: [], hooks: [], plan,
    windows: [], failures: { total: 0, rolloutLimit: 0, perStepLimit: 0, consecutiveLimit: 0 }, notChecked: [],
    ...overrides,
  };
}

const promoted = report({
  weights: [
    { at: s(2), stable: 90, canary: 10, verified: true },
    { at: s(8), stable: 50, canary: 50, verified: true },
    { at: s(14), stable: 0, canary: 100, verified: true },
    { at: s(20), stable: 100, canary: 0, verified: true },
  ],
  timeline: [4, 6, 10, 12, 16, 18].map((t, i) => ({ at: s(t), canaryWeight: [10, 10, 50, 50, 100, 100][i], errorRate: 0, p95Ms: 5, verdict: "pass" as const })),
  markers: [
    { at: s(2), kind: "step", label: "step 1 (10%)" },
    { at: s(8), kind: "step", label: "step 2 (50%)" },
    { at: s(14), kind: "step", label: "step 3 (100%)" },
    { at: s(20), kind: "promoted", label: "promoted" },
  ],
});

const reason = "analysis failed 1 time(s) at step 1 (canary 10%), limit 0: canary 5xx rate 35% (7/20) > 1%";
const rolledBack = report({
  image: "sample-app:3.0.0?error-rate=0.3", outcome: "rolled-back", reason,
  weights: [{ at: s(2), stable: 90, canary: 10, verified: true }, { at: s(4), stable: 100, canary: 0, verified: true }],
  // The failing analysis and the rollback happen in the same millisecond: the point sits on the marker line.
  timeline: [{ at: s(4), canaryWeight: 10, errorRate: 0.35, p95Ms: 4, verdict: "fail" }],
  markers: [{ at: s(2), kind: "step", label: "step 1 (10%)" }, { at: s(4), kind: "rollback", label: `rollback: ${reason}` }],
});

interface TextBox { cls: string; text: string; x0: number; x1: number; y: number }

function viewBox(svg: string): { width: number; height: number } {
  const [, , width, height] = (/viewBox="([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg) ?? []).slice(1).map(Number);
  return { width, height };
}

/** Every label with the horizontal extent its anchor and length give it (at most CHAR_WIDTH per character). */
function textBoxes(svg: string): TextBox[] {
  return [...svg.matchAll(/<text class="([^"]+)" x="([\d.-]+)" y="([\d.-]+)" text-anchor="(\w+)"[^>]*?(?: font-size="(\d+)")?>([^<]*)<\/text>/g)].map(([, cls, x, y, anchor, size, text]) => {
    const width = text.replace(/&#\d+;/g, "_").length * CHAR_WIDTH * (Number(size ?? 11) / 11);
    const left = anchor === "start" ? Number(x) : anchor === "end" ? Number(x) - width : Number(x) - width / 2;
    return { cls, text, x0: left, x1: left + width, y: Number(y) };
  });
}

function png(svg: string) {
  const image = new Resvg(svg, { background: "white", font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render();
  const { width, height, pixels } = image;
  const at = (x: number, y: number) => {
    const i = (Math.round(y) * width + Math.round(x)) * 4;
    return { r: pixels[i], g: pixels[i + 1], b: pixels[i + 2] };
  };
  const inked = (x0: number, y0: number, x1: number, y1: number) => {
    let count = 0;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(height, y1); y++) for (let x = Math.max(0, Math.floor(x0)); x < Math.min(width, x1); x++) {
      const p = at(x, y);
      if (p.r + p.g + p.b < 600) count++;
    }
    return count;
  };
  return { width, height, at, inked, png: image.asPng() };
}

describe("rollout timeline SVG (rendered with resvg)", () => {
  for (const [name, r] of [["promoted", promoted], ["rolled back", rolledBack]] as const) {
    it(`keeps every label of a ${name} rollout inside the frame and draws it (${name})`, () => {
      const svg = renderTimelineSvg(r);
      const box = viewBox(svg);
      const boxes = textBoxes(svg);
      assert.ok(boxes.length > 10, "labels found");
      for (const b of boxes) {
        assert.ok(b.x0 >= 0 && b.x1 <= box.width, `${b.cls} "${b.text}" spans ${b.x0.toFixed(0)}..${b.x1.toFixed(0)}, frame 0..${box.width}`);
        assert.ok(b.y >= 11 && b.y <= box.height, `${b.cls} "${b.text}" at y ${b.y}, frame height ${box.height}`);
      }
      const image = png(svg);
      assert.equal(image.width, box.width);
      // Every label is drawn (ink where it is), and nothing at all is drawn in the strip right of the panels.
      for (const b of boxes) assert.ok(image.inked(b.x0, b.y - 10, b.x1, b.y + 2) > 5, `${b.cls} "${b.text}" is drawn`);
      assert.equal(image.inked(box.width - 18, 0, box.width, box.height), 0, "nothing is cut at the right edge");
    });
  }

  it("has a time axis in seconds from the start and thresholds labelled with their values", () => {
    const labels = textBoxes(renderTimelineSvg(promoted));
    assert.deepEqual(labels.filter((b) => b.cls === "tick").map((b) => b.text), ["0 s", "5 s", "10 s", "15 s", "20 s"]);
    assert.deepEqual(labels.filter((b) => b.cls === "threshold-label").map((b) => b.text), ["limit 1%", "limit 500 ms"]);
    assert.ok(labels.some((b) => b.cls === "axis-title" && b.text.startsWith("seconds since the start")));
  });

  it("draws a promotion as the stable taking over at 100 %, not as a drop to 0", () => {
    const svg = renderTimelineSvg(promoted);
    const series = [...svg.matchAll(/<polyline class="series" data-name="([^"]+)" points="([^"]+)"/g)].map(([, name, points]) => ({ name, ys: points.split(" ").map((p) => Number(p.split(",")[1])) }));
    const canary = series.find((x) => x.name === "canary (new image)");
    const stable = series.find((x) => x.name === "stable, now on the new image");
    assert.ok(canary && stable, series.map((x) => x.name).join(", "));
    const full = Math.min(...canary.ys);
    assert.equal(canary.ys.at(-1), full, "the canary line ends at 100 %");
    assert.deepEqual([...new Set(stable.ys)], [full], "the stable line holds 100 % to the end");
    const image = png(svg);
    const [, x] = /points="[^"]*? ([\d.]+),[\d.]+" fill="none" stroke="#16a34a"/.exec(svg) ?? [];
    const green = image.at(Number(x) - 2, full);
    assert.ok(green.g > 120 && green.r < 100, `green at the end of the weight panel: ${JSON.stringify(green)}`);
  });

  it("keeps a failing point visible on top of the rollback marker and names what failed", () => {
    const svg = renderTimelineSvg(rolledBack);
    const circle = /<circle class="point failing" cx="([\d.]+)" cy="([\d.]+)" r="(\d+)"/.exec(svg);
    assert.ok(circle, "the failing analysis is drawn as a failing point");
    assert.ok(svg.indexOf("point failing") > svg.indexOf('class="marker rollback"'), "drawn after (above) the marker line");
    const markerX = Number(/<g class="marker rollback">.*?x1="([\d.]+)"/.exec(svg)?.[1]);
    assert.equal(Number(circle[1]), markerX, "the point sits on the marker line");
    const image = png(svg);
    const [cx, cy, r] = [Number(circle[1]), Number(circle[2]), Number(circle[3])];
    const centre = image.at(cx, cy);
    assert.ok(centre.r > 180 && centre.g < 90, `the point is red: ${JSON.stringify(centre)}`);
    const ring = image.at(cx, cy - r - 0.5);
    assert.ok(ring.r > 200 && ring.g > 200 && ring.b > 200, `a white ring separates it from the red marker line: ${JSON.stringify(ring)}`);
    assert.ok(textBoxes(svg).some((b) => b.cls.startsWith("marker-label rollback") && b.text.includes("canary 5xx rate 35% (7/20) &#62; 1%")));
  });
});
