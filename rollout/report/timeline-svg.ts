import type { RolloutReport, TimelineMarker, TimelinePoint } from "./report.ts";

const WIDTH = 900;
const PANEL_HEIGHT = 130;
const LEFT = 70;
const RIGHT = 20;
const TOP = 48;
const GAP = 34;
const FONT = 11;
/** Upper bound of a character's width at FONT px in a sans-serif face, to keep labels inside the frame. */
export const CHAR_WIDTH = FONT * 0.62;
const LABEL_ROW = 15;
const MAX_LABEL = 60;
/** Room after the last event, so that a point on it is not cut by the frame. */
const END_PADDING = 0.03;

const COLORS = { canary: "#2563eb", promoted: "#16a34a", rollback: "#dc2626", paused: "#d97706", step: "#6b7280", p95: "#d97706", axis: "#6b7280" } as const;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function shorten(text: string, max = MAX_LABEL): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly { readonly at: number; readonly value: number; readonly failing?: boolean }[];
  /** Weight changes hold until the next change; measurements are joined point to point. */
  readonly stepped: boolean;
  /** Where a stepped series' last value ends (the next series takes over there). */
  readonly until?: number;
}

interface Panel {
  readonly title: string;
  readonly unit: (value: number) => string;
  readonly max: number;
  readonly series: readonly Series[];
  readonly threshold?: { readonly value: number; readonly label: string };
}

/** A step of 1, 2, 5, 10, 15, 30 s ... that gives at most 10 ticks over `spanS` seconds. */
function tickStep(spanS: number): number {
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].find((step) => spanS / step <= 10) ?? 14_400;
}

/**
 * What share of traffic the new image takes over time. During the rollout that is the canary's weight; on a
 * promotion the stable service takes the new image and the weight returns to it, so from that hand-back on
 * the new image keeps 100 % (drawn as its own green line), instead of a drop to 0 that reads like a rollback.
 */
function newImageSeries(report: RolloutReport, end: number): Series[] {
  const weights = report.weights.map((w) => ({ at: w.at, value: w.canary }));
  const reachedFull = weights.findIndex((w) => w.value === 100);
  const promoted = report.outcome === "promoted" && reachedFull >= 0;
  const handBack = promoted ? weights.findIndex((w, i) => i > reachedFull && w.value < 100) : -1;
  if (!promoted || handBack < 0) return [{ name: "canary (new image)", color: COLORS.canary, points: weights, stepped: true }];
  const at = weights[handBack].at;
  return [
    { name: "canary (new image)", color: COLORS.canary, points: weights.slice(0, handBack), stepped: true, until: at },
    { name: "stable, now on the new image", color: COLORS.promoted, points: [{ at, value: 100 }], stepped: true, until: end },
  ];
}

interface Label {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly anchor: "start" | "middle" | "end";
  readonly color?: string;
  readonly weight?: "bold";
  readonly size?: number;
  readonly cls: string;
}

function labelSvg(label: Label): string {
  return `<text class="${label.cls}" x="${label.x.toFixed(1)}" y="${label.y.toFixed(1)}" text-anchor="${label.anchor}"${label.color ? ` fill="${label.color}"` : ""}${label.weight ? ` font-weight="${label.weight}"` : ""}${label.size ? ` font-size="${label.size}"` : ""}>${escapeXml(label.text)}</text>`;
}

/** A rollback's label leads with what failed (the reason's last clause); the marker's tooltip has all of it. */
function markerText(marker: TimelineMarker): string {
  if (marker.kind !== "rollback") return marker.label;
  const reason = marker.label.replace(/^rollback: /, "");
  return `rollback: ${reason.slice(reason.lastIndexOf(": ") + 1).trim() || reason}`;
}

/** Marker labels below the axis: each next to its line, inside the frame, in as many rows as needed not to overlap. */
function markerLabels(markers: readonly TimelineMarker[], x: (at: number) => number, top: number): Label[] {
  const rowsEnd: number[] = [];
  return markers.map((marker) => {
    const text = shorten(markerText(marker));
    const width = text.length * CHAR_WIDTH;
    const at = x(marker.at);
    const fitsRight = at + 3 + width <= WIDTH - RIGHT;
    const [from, to] = fitsRight ? [at + 3, at + 3 + width] : [Math.max(LEFT, at - 3 - width), Math.max(LEFT, at - 3 - width) + width];
    let row = rowsEnd.findIndex((end) => end + 8 <= from);
    if (row < 0) row = rowsEnd.push(to) - 1;
    else rowsEnd[row] = to;
    return { x: from, y: top + row * LABEL_ROW, text, anchor: "start", color: COLORS[marker.kind], cls: `marker-label ${marker.kind}` };
  });
}

/**
 * Three stacked panels sharing one time axis in seconds from the start (the new image's share of traffic, canary
 * 5xx rate, canary p95), with labelled thresholds and vertical markers for steps, pauses, the rollback or the
 * promotion: the picture an on-call engineer wants after a rollback. Every label stays inside the frame; a failing
 * analysis is drawn above the markers so that a rollback's line never hides it. Pure: returns the SVG text.
 */
export function renderTimelineSvg(report: RolloutReport): string {
  const times = [...report.weights.map((point) => point.at), ...report.timeline.map((point) => point.at), ...report.markers.map((marker) => marker.at)];
  const start = Math.min(...times, Date.parse(report.startedAt));
  const last = Math.max(...times, start + 1_000);
  const end = last + (last - start) * END_PADDING;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (at: number) => LEFT + ((at - start) / (end - start)) * plotWidth;
  const thresholds = report.plan.thresholds;
  const measured = (pick: (p: TimelinePoint) => number | undefined) =>
    report.timeline.flatMap((point) => {
      const value = pick(point);
      return value === undefined ? [] : [{ at: point.at, value, failing: point.verdict === "fail" }];
    });
  const rates = measured((p) => p.errorRate);
  const latencies = measured((p) => p.p95Ms);
  const panels: Panel[] = [
    { title: "traffic on the new image", unit: (value) => `${Math.round(value)}%`, max: 100, series: newImageSeries(report, end) },
    {
      title: "canary 5xx rate", unit: (value) => `${(value * 100).toFixed(1)}%`, max: Math.max(thresholds.max5xxRate * 2, ...rates.map((p) => p.value)) * 1.1,
      series: [{ name: "5xx rate", color: COLORS.rollback, points: rates, stepped: false }],
      threshold: { value: thresholds.max5xxRate, label: `limit ${+(thresholds.max5xxRate * 100).toFixed(2)}%` },
    },
    {
      title: "canary p95 latency", unit: (value) => `${Math.round(value)} ms`, max: Math.max(thresholds.maxP95Ms * 1.5, ...latencies.map((p) => p.value)) * 1.1,
      series: [{ name: "p95", color: COLORS.p95, points: latencies, stepped: false }],
      threshold: { value: thresholds.maxP95Ms, label: `limit ${thresholds.maxP95Ms} ms` },
    },
  ];
  const plotBottom = TOP + panels.length * (PANEL_HEIGHT + GAP) - GAP;
  const axisLabelsY = plotBottom + 14;
  const markerRowsTop = axisLabelsY + 32;
  const labels = markerLabels(report.markers, x, markerRowsTop);
  const rows = labels.length === 0 ? 0 : Math.max(...labels.map((l) => (l.y - markerRowsTop) / LABEL_ROW)) + 1;
  const height = markerRowsTop + rows * LABEL_ROW + 6;

  const frame: string[] = [];
  const marks: string[] = [];
  const data: string[] = [];
  const texts: Label[] = [
    { x: LEFT, y: 20, text: shorten(`${report.image} -> ${report.environment}: ${report.outcome}`, Math.floor((WIDTH - LEFT - RIGHT) / (CHAR_WIDTH * 14 / FONT))), anchor: "start", weight: "bold", size: 14, cls: "title" },
  ];
  const spanS = (end - start) / 1000;
  const step = tickStep(spanS);
  for (let s = 0; s <= spanS; s += step) {
    frame.push(`<line class="grid" x1="${x(start + s * 1000).toFixed(1)}" x2="${x(start + s * 1000).toFixed(1)}" y1="${TOP}" y2="${plotBottom}" stroke="#e5e7eb"/>`);
    texts.push({ x: x(start + s * 1000), y: axisLabelsY, text: `${s} s`, anchor: s === 0 ? "start" : "middle", color: COLORS.axis, cls: "tick" });
  }
  texts.push({ x: LEFT + plotWidth / 2, y: axisLabelsY + 16, text: `seconds since the start (${report.startedAt})`, anchor: "middle", color: COLORS.axis, cls: "axis-title" });

  panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL_HEIGHT + GAP);
    const y = (value: number) => top + PANEL_HEIGHT - (Math.min(value, panel.max) / panel.max) * PANEL_HEIGHT;
    frame.push(`<rect class="panel-frame" data-title="${escapeXml(panel.title)}" x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#9ca3af"/>`);
    texts.push(
      { x: LEFT - 6, y: top + 10, text: panel.unit(panel.max), anchor: "end", cls: "y-max" },
      { x: LEFT - 6, y: top + PANEL_HEIGHT, text: "0", anchor: "end", cls: "y-zero" },
      { x: LEFT, y: top - 6, text: panel.title, anchor: "start", weight: "bold", cls: "panel-title" },
    );
    if (panel.threshold !== undefined) {
      const ty = y(panel.threshold.value);
      frame.push(`<line class="threshold" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="#374151" stroke-dasharray="5 3"/>`);
      texts.push({ x: WIDTH - RIGHT - 4, y: ty - 4, text: panel.threshold.label, anchor: "end", color: "#374151", cls: "threshold-label" });
    }
    let legendX = WIDTH - RIGHT;
    for (const series of [...panel.series].reverse()) {
      const width = series.name.length * CHAR_WIDTH + 14;
      legendX -= width + 10;
      frame.push(`<line class="legend" x1="${legendX.toFixed(1)}" x2="${(legendX + 10).toFixed(1)}" y1="${top - 10}" y2="${top - 10}" stroke="${series.color}" stroke-width="3"/>`);
      texts.push({ x: legendX + 14, y: top - 6, text: series.name, anchor: "start", color: series.color, cls: "legend-label" });
    }
    data.push(`<g class="panel" data-title="${escapeXml(panel.title)}">`);
    for (const series of panel.series) {
      const coordinates: string[] = [];
      series.points.forEach((point, i) => {
        if (series.stepped && i > 0) coordinates.push(`${x(point.at).toFixed(1)},${y(series.points[i - 1].value).toFixed(1)}`);
        coordinates.push(`${x(point.at).toFixed(1)},${y(point.value).toFixed(1)}`);
      });
      const lastPoint = series.points.at(-1);
      if (series.stepped && lastPoint) coordinates.push(`${x(series.until ?? last).toFixed(1)},${y(lastPoint.value).toFixed(1)}`);
      if (coordinates.length > 0) data.push(`<polyline class="series" data-name="${escapeXml(series.name)}" points="${coordinates.join(" ")}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
      if (series.stepped) continue;
      for (const point of series.points) {
        // Failing analyses: larger, ringed in white, drawn after the marker lines, so they stay visible on them.
        data.push(point.failing
          ? `<circle class="point failing" cx="${x(point.at).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="5" fill="${series.color}" stroke="white" stroke-width="1.5"/>`
          : `<circle class="point" cx="${x(point.at).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="2.5" fill="${series.color}"/>`);
      }
    }
    data.push(`</g>`);
  });

  for (const marker of report.markers) {
    const mx = x(marker.at).toFixed(1);
    marks.push(`<g class="marker ${marker.kind}"><title>${escapeXml(marker.label)}</title><line x1="${mx}" x2="${mx}" y1="${TOP}" y2="${plotBottom}" stroke="${COLORS[marker.kind]}" stroke-width="${marker.kind === "step" ? 1 : 2}" stroke-opacity="0.7"/></g>`);
  }
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${FONT}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...frame,
    ...marks,
    ...data,
    ...[...texts, ...labels].map(labelSvg),
    `</svg>`,
  ].join("\n")}\n`;
}
