import fs from "node:fs/promises";
import path from "node:path";
import type { RolloutState } from "../engine/model.ts";
import { buildReport, formatSummaryTable } from "./report.ts";
import type { RolloutReport } from "./report.ts";
import { renderTimelineSvg } from "./timeline-svg.ts";

export interface WrittenReport {
  readonly report: RolloutReport;
  readonly directory: string;
  readonly files: { readonly json: string; readonly svg: string; readonly summary: string };
}

/** Writes report.json, timeline.svg and summary.txt into `<root>/<rollout id>/`. */
export async function writeReports(root: string, state: RolloutState): Promise<WrittenReport> {
  const report = buildReport(state);
  const directory = path.join(root, state.id);
  await fs.mkdir(directory, { recursive: true });
  const files = { json: path.join(directory, "report.json"), svg: path.join(directory, "timeline.svg"), summary: path.join(directory, "summary.txt") };
  await fs.writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(files.svg, renderTimelineSvg(report));
  await fs.writeFile(files.summary, `${formatSummaryTable(report)}\n`);
  return { report, directory, files };
}
