import type { Writable } from "node:stream";
import { formatDuration } from "../engine/plan.ts";
import type { Measurement, RolloutEvent, RolloutPlan } from "../engine/model.ts";
import type { Reporter } from "../engine/ports.ts";

/** What the live block lists first when it cannot show every measurement. */
const SEVERITY: Readonly<Record<Measurement["status"], number>> = { fail: 0, error: 1, inconclusive: 2, pass: 3 };

export interface ClosableReporter extends Reporter {
  close(): void;
}

/** Lines stay within a terminal's width (longer ones wrap). */
const LINE_WIDTH = 120;

/** Time of day (UTC) to the millisecond: the date adds nothing within one rollout and costs 11 columns. */
function stamp(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

/** The live block is redrawn by counting its lines, so its lines are cut to the width, never wrapped. */
function cut(line: string): string {
  return line.length <= LINE_WIDTH ? line : `${line.slice(0, LINE_WIDTH - 3)}...`;
}

/** Wraps at a separator (`; `, `, `, ` - `, a space) onto indented continuation lines: nothing is cut off. */
function fit(line: string, width = LINE_WIDTH, indent = " ".repeat(13)): string {
  const lines: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    // The strongest separator in the second half of the line, so that "500 ms" or "(6/20)" stay together.
    const candidates = [head.lastIndexOf("; ") + 1, Math.max(head.lastIndexOf(", ") + 1, head.lastIndexOf(" - ") + 2), head.lastIndexOf(" ")];
    const at = candidates.find((c) => c > width / 2) ?? width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = `${indent}${rest.slice(at).trimStart()}`;
  }
  return [...lines, rest].join("\n");
}

/**
 * Event lines as a person reads them live: within LINE_WIDTH, and a reason said once (the engine's "rolling
 * back: <reason>" log and the transitions that follow all carry the same reason).
 */
function liveLines(plan: RolloutPlan): (event: RolloutEvent) => string {
  const said = new Set<string>();
  return (event) => {
    const reason = event.type === "phase" ? event.transition.reason : undefined;
    const repeated = reason !== undefined && [...said].some((line) => line.includes(reason));
    const shown: RolloutEvent = repeated && event.type === "phase" ? { ...event, transition: { ...event.transition, reason: undefined } } : event;
    const line = `${stamp(event.at)} ${describeEvent(shown, plan)}`;
    said.add(line);
    return fit(line);
  };
}

function measurementLine(measurement: Measurement): string {
  return `${measurement.status.toUpperCase().padEnd(12)} ${measurement.message}`;
}

/** One self-contained line per event: for CI logs, files and `--json` runs (on stderr). */
export function describeEvent(event: RolloutEvent, plan: RolloutPlan): string {
  switch (event.type) {
    case "phase": {
      const { from, to, step, reason } = event.transition;
      const where = step === undefined ? "" : ` step ${step + 1}/${plan.steps.length} (canary ${plan.steps[step]}%)`;
      return `${from} -> ${to}${where}${reason ? `: ${reason}` : ""}`;
    }
    case "weights":
      return `weights stable ${event.record.weights.stable} / canary ${event.record.weights.canary} ${event.record.verified ? "verified" : "NOT VERIFIED"}`;
    case "analysis": {
      // A passing round shows its numbers; any other shows only what did not pass, which is what matters.
      const failing = event.record.measurements.filter((measurement) => measurement.status !== "pass");
      const numbers = event.record.measurements.filter((measurement) => typeof measurement.value === "number" && measurement.analyser === "metrics");
      const details = (failing.length > 0 ? failing : numbers).map((measurement) => measurement.message.replace(/^canary /, "")).join("; ");
      const counted = `${event.record.measurements.length - failing.length}/${event.record.measurements.length} passed`;
      return `analysis step ${event.record.step + 1} (canary ${event.record.canaryWeight}%): ${event.record.verdict}, ${counted}, ${formatDuration(event.bakeRemainingMs)} left${details ? ` - ${details}` : ""}`;
    }
    case "hook":
      return `hook ${event.hook}: ${event.outcome.ok ? "ok" : "FAILED"} ${event.outcome.message}${event.outcome.logLocation ? ` (log ${event.outcome.logLocation})` : ""}`;
    case "request":
      return `operator ${event.request.kind} from ${event.request.by}${event.request.reason ? `: ${event.request.reason}` : ""}`;
    case "log":
      return `${event.level}: ${event.message}`;
  }
}

export function lineReporter(stream: Writable, plan: RolloutPlan): ClosableReporter {
  const line = liveLines(plan);
  return {
    emit: (event) => void stream.write(`${line(event)}\n`),
    close: () => undefined,
  };
}

/**
 * Live view for terminals: a status block (phase, step, weights, time left in the bake, latest measurements)
 * redrawn in place every second, with the event lines scrolling above it.
 */
export function terminalReporter(stream: Writable, plan: RolloutPlan, now: () => number = Date.now): ClosableReporter {
  let phase = "planned";
  let step = -1;
  let weights = "stable 100 / canary 0";
  let bakeEndsAt: number | undefined;
  let latest: readonly Measurement[] = [];
  let drawnLines = 0;
  const line = liveLines(plan);

  const block = (): string[] => {
    const stepText = step < 0 ? "-" : `${step + 1}/${plan.steps.length} (canary ${plan.steps[step]}%)`;
    const left = bakeEndsAt === undefined || (phase !== "baking" && phase !== "analysing") ? "" : `   bake left ${formatDuration(Math.max(0, bakeEndsAt - now()))}`;
    return [`\x1b[1m${phase}\x1b[0m   step ${stepText}   ${weights}${left}`, ...[...latest].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]).slice(0, 8).map((measurement) => cut(`  ${measurementLine(measurement)}`))];
  };
  const redraw = (scrolled?: string): void => {
    const clear = drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : "";
    const lines = block();
    drawnLines = lines.length;
    stream.write(`${clear}${scrolled ? `${scrolled}\n` : ""}${lines.join("\n")}\n`);
  };
  const ticker = setInterval(() => redraw(), 1_000);
  ticker.unref();

  return {
    emit(event) {
      if (event.type === "phase") {
        phase = event.transition.to;
        if (event.transition.step !== undefined) step = event.transition.step;
      }
      if (event.type === "weights") weights = `stable ${event.record.weights.stable} / canary ${event.record.weights.canary}${event.record.verified ? "" : " (unverified)"}`;
      if (event.type === "analysis") {
        step = event.record.step;
        latest = event.record.measurements;
        bakeEndsAt = event.at + event.bakeRemainingMs;
      }
      if (event.type === "phase" && event.transition.to === "baking" && event.transition.from === "shifting") bakeEndsAt = event.at + plan.bakeMs;
      redraw(event.type === "analysis" ? undefined : line(event));
    },
    close() {
      clearInterval(ticker);
    },
  };
}
