import type { RolloutReport } from "./report.ts";

const WIDTH = 900;
const PANEL_HEIGHT = 140;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const GAP = 30;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

interface Panel {
  readonly title: string;
  readonly unit: (value: number) => string;
  readonly max: number;
  readonly color: string;
  readonly points: readonly { readonly at: number; readonly value: number }[];
  /** Weight changes hold until the next change; measurements are joined point to point. */
  readonly stepped: boolean;
  readonly threshold?: number;
}

/**
 * Three stacked panels sharing one time axis (canary weight, 5xx rate, p95) with vertical markers for steps
 * and rollbacks: the picture an on-call engineer wants after a rollback. Pure: returns the SVG text.
 */
export function renderTimelineSvg(report: RolloutReport): string {
  const times = [...report.weights.map((point) => point.at), ...report.timeline.map((point) => point.at), ...report.markers.map((marker) => marker.at)];
  const start = Math.min(...times, Date.parse(report.startedAt));
  const end = Math.max(...times, start + 1);
  const x = (at: number) => LEFT + ((at - start) / (end - start)) * (WIDTH - LEFT - RIGHT);
  const rates = report.timeline.flatMap((point) => (point.errorRate === undefined ? [] : [{ at: point.at, value: point.errorRate }]));
  const latencies = report.timeline.flatMap((point) => (point.p95Ms === undefined ? [] : [{ at: point.at, value: point.p95Ms }]));
  const thresholds = report.plan.thresholds;
  const panels: Panel[] = [
    { title: "canary weight", unit: (value) => `${Math.round(value)}%`, max: 100, color: "#2563eb", points: report.weights.map((point) => ({ at: point.at, value: point.canary })), stepped: true },
    { title: "canary 5xx rate", unit: (value) => `${(value * 100).toFixed(1)}%`, max: Math.max(thresholds.max5xxRate * 2, ...rates.map((point) => point.value)), color: "#dc2626", points: rates, stepped: false, threshold: thresholds.max5xxRate },
    { title: "canary p95", unit: (value) => `${Math.round(value)} ms`, max: Math.max(thresholds.maxP95Ms * 1.5, ...latencies.map((point) => point.value)), color: "#d97706", points: latencies, stepped: false, threshold: thresholds.maxP95Ms },
  ];
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escapeXml(`${report.image} -> ${report.environment}: ${report.outcome}`)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL_HEIGHT + GAP);
    const y = (value: number) => top + PANEL_HEIGHT - (Math.min(value, panel.max) / panel.max) * PANEL_HEIGHT;
    parts.push(`<g class="panel" data-title="${escapeXml(panel.title)}">`);
    parts.push(`<rect x="${LEFT}" y="${top}" width="${WIDTH - LEFT - RIGHT}" height="${PANEL_HEIGHT}" fill="none" stroke="#9ca3af"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${escapeXml(panel.unit(panel.max))}</text>`);
    parts.push(`<text x="${LEFT - 6}" y="${top + PANEL_HEIGHT}" text-anchor="end">0</text>`);
    parts.push(`<text x="${LEFT + 4}" y="${top - 4}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    if (panel.threshold !== undefined) {
      parts.push(`<line class="threshold" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(panel.threshold).toFixed(1)}" y2="${y(panel.threshold).toFixed(1)}" stroke="#6b7280" stroke-dasharray="4 3"/>`);
    }
    const coordinates: string[] = [];
    panel.points.forEach((point, pointIndex) => {
      if (panel.stepped && pointIndex > 0) coordinates.push(`${x(point.at).toFixed(1)},${y((panel.points[pointIndex - 1] as { value: number }).value).toFixed(1)}`);
      coordinates.push(`${x(point.at).toFixed(1)},${y(point.value).toFixed(1)}`);
    });
    if (panel.stepped && panel.points.length > 0) coordinates.push(`${x(end).toFixed(1)},${y((panel.points.at(-1) as { value: number }).value).toFixed(1)}`);
    if (coordinates.length > 0) parts.push(`<polyline class="series" points="${coordinates.join(" ")}" fill="none" stroke="${panel.color}" stroke-width="2"/>`);
    for (const point of panel.stepped ? [] : panel.points) parts.push(`<circle cx="${x(point.at).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="2.5" fill="${panel.color}"/>`);
    parts.push(`</g>`);
  });
  const bottom = TOP + panels.length * (PANEL_HEIGHT + GAP) - GAP;
  for (const marker of report.markers) {
    const color = marker.kind === "rollback" ? "#dc2626" : marker.kind === "promoted" ? "#16a34a" : marker.kind === "paused" ? "#d97706" : "#6b7280";
    parts.push(
      `<g class="marker ${marker.kind}"><line x1="${x(marker.at).toFixed(1)}" x2="${x(marker.at).toFixed(1)}" y1="${TOP}" y2="${bottom}" stroke="${color}" stroke-width="${marker.kind === "rollback" ? 2 : 1}"/>`,
      `<title>${escapeXml(marker.label)}</title><text x="${(x(marker.at) + 3).toFixed(1)}" y="${bottom + 14}" fill="${color}">${escapeXml(marker.label.slice(0, 40))}</text></g>`,
    );
  }
  parts.push(`<text x="${LEFT}" y="${height - 4}" fill="#6b7280">${escapeXml(`${report.startedAt} .. ${new Date(end).toISOString()}`)}</text>`, `</svg>`);
  return `${parts.join("\n")}\n`;
}
