import { z } from "zod";
import { withPlanDefaults } from "../engine/plan.ts";
import { OPERATOR_REQUEST_KINDS, ROLLOUT_PHASES, type LockHolder, type OperatorRequest, type RolloutState } from "../engine/model.ts";

/** The one state format this version reads and writes; anything else is refused, never guessed at. */
const STATE_SCHEMA_VERSION = 1;

/**
 * A state, lock or request file that cannot be used as it is: truncated, empty, not JSON, another
 * `schemaVersion`, or missing fields. Carries what an operator needs to recover: where, what, and the exact
 * command. The CLI prints it and exits 2 (nothing changed), so a damaged file never makes a crash loop.
 */
export class StoreDamageError extends Error {
  constructor(
    readonly location: string,
    readonly problem: string,
    readonly recovery: readonly string[],
  ) {
    super(`${location} is damaged: ${problem}\nnothing was changed. Recover with:\n${recovery.map((line) => `  ${line}`).join("\n")}`);
  }
}

const weights = z.object({ stable: z.number(), canary: z.number() });
const holder = z.looseObject({ id: z.string().min(1), host: z.string(), pid: z.number().int(), startedAt: z.number() });
const phase = z.enum(ROLLOUT_PHASES);

/** The fields every reader relies on; the rest of the state is carried along as written. */
const stateShape = z.looseObject({
  id: z.string().min(1),
  environment: z.string().min(1),
  target: z.string(),
  image: z.string(),
  phase,
  stepIndex: z.number().int(),
  weights,
  plan: z.looseObject({ steps: z.array(z.number()).min(1), bakeMs: z.number(), intervalMs: z.number(), verifyTimeoutMs: z.number(), verifyRetryMs: z.number() }),
  holder,
  transitions: z.array(z.unknown()),
  weightHistory: z.array(z.unknown()),
  analyses: z.array(z.unknown()),
  hookOutcomes: z.array(z.unknown()),
});

const requestShape = z.looseObject({ id: z.string().min(1), rolloutId: z.string().min(1), kind: z.enum(OPERATOR_REQUEST_KINDS), at: z.number(), by: z.string() });

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (text.trim() === "") return { ok: false, problem: "the file is empty (a write was cut short?)" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${(error as Error).message}; truncated or overwritten?)` };
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}

/** Returns the problem with a state file's text, or the state when there is none. */
export function checkState(text: string): { ok: true; state: RolloutState } | { ok: false; problem: string } {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const version = (parsed.value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== STATE_SCHEMA_VERSION) {
    return { ok: false, problem: `schemaVersion is ${JSON.stringify(version)}, this version of the tool reads only ${STATE_SCHEMA_VERSION} (written by another version?)` };
  }
  const shaped = stateShape.safeParse(parsed.value);
  if (!shaped.success) return { ok: false, problem: `fields missing or wrong: ${describeIssues(shaped.error)}` };
  const state = parsed.value as RolloutState;
  // Every stored state is read here: a plan written by an older version gets its defaults once, for all readers.
  return { ok: true, state: { ...state, plan: withPlanDefaults(state.plan) } };
}

export function checkLock(text: string): { ok: true; holder: LockHolder } | { ok: false; problem: string } {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const shaped = holder.safeParse(parsed.value);
  return shaped.success ? { ok: true, holder: parsed.value as LockHolder } : { ok: false, problem: `not a lock holder: ${describeIssues(shaped.error)}` };
}

/** A request file that is not a request of this format is dropped: it could never be acknowledged anyway. */
export function parseRequest(text: string): OperatorRequest | undefined {
  const parsed = parseJson(text);
  return parsed.ok && requestShape.safeParse(parsed.value).success ? (parsed.value as OperatorRequest) : undefined;
}
