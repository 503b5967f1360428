import { z } from "zod";

/**
 * The faults the sample app can be told to have. Every field is optional: an empty profile is a healthy app.
 * The same profile is read from environment variables (`FAULT_*`), from command-line flags, and from the
 * query part of a local "image" name (`sample-app:2.0.0?error-rate=0.3`), so one schema validates all three.
 */
export const faultProfileSchema = z
  .object({
    /** Share of `/` requests answered with 500, from 0 to 1. */
    errorRate: z.coerce.number().min(0).max(1).default(0),
    /** When set, `errorRate` only applies during the first N seconds after the first `/` request: a burst. */
    errorBurstS: z.coerce.number().positive().optional(),
    /** When set, `errorRate` only applies from N seconds after the first `/` request on: a failure that starts later. */
    errorAfterS: z.coerce.number().positive().optional(),
    /**
     * When set, `errorRate` applies during alternate periods of N seconds from the first `/` request (the 1st,
     * 3rd, ...) and not in between: a flapping version.
     */
    errorFlapS: z.coerce.number().positive().optional(),
    /** Seed of the generator deciding which requests fail, so a run's failures are reproducible. */
    seed: z.coerce.number().int().min(0).optional(),
    /** Milliseconds added to every `/` response. */
    latencyMs: z.coerce.number().int().min(0).max(60_000).default(0),
    /** The process exits abruptly (code 70) this many seconds after it starts listening. */
    crashAfterS: z.coerce.number().positive().optional(),
    /** `/health/ready` answers 503 while `/health/live` stays 200 (a dependency the app cannot reach). */
    readinessFails: z
      .union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")])
      .default(false),
    /** `insecure` drops HSTS and answers CORS with a wildcard: what the response checks must catch. */
    headers: z.enum(["secure", "insecure"]).default("secure"),
  })
  .strict();

export type FaultProfile = z.output<typeof faultProfileSchema>;

/** kebab-case name used in image queries and flags -> profile field. */
export const faultParameterNames = {
  "error-rate": "errorRate",
  "error-burst-s": "errorBurstS",
  "error-after-s": "errorAfterS",
  "error-flap-s": "errorFlapS",
  seed: "seed",
  "latency-ms": "latencyMs",
  "crash-after-s": "crashAfterS",
  "readiness-fails": "readinessFails",
  headers: "headers",
} as const satisfies Record<string, keyof FaultProfile>;

/** The kebab-case parameter name of a profile field (for messages). */
export function faultParameterOf(field: string): string {
  return Object.entries(faultParameterNames).find(([, name]) => name === field)?.[0] ?? field;
}

/** Environment variable carrying each profile field (what the local deployer sets on the child process). */
export const faultEnvironmentNames = {
  errorRate: "FAULT_ERROR_RATE",
  errorBurstS: "FAULT_ERROR_BURST_S",
  errorAfterS: "FAULT_ERROR_AFTER_S",
  errorFlapS: "FAULT_ERROR_FLAP_S",
  seed: "FAULT_SEED",
  latencyMs: "FAULT_LATENCY_MS",
  crashAfterS: "FAULT_CRASH_AFTER_S",
  readinessFails: "FAULT_READINESS_FAILS",
  headers: "FAULT_HEADERS",
} as const satisfies Record<keyof FaultProfile, string>;

export type FaultParseResult = { ok: true; profile: FaultProfile } | { ok: false; problems: string[] };

/** Validates raw (string) values keyed by profile field; `source` names where they came from in messages. */
export function parseFaultProfile(raw: Record<string, unknown>, source: (field: string) => string): FaultParseResult {
  const result = faultProfileSchema.safeParse(raw);
  if (result.success) return { ok: true, profile: result.data };
  const problems = result.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? (issue.code === "unrecognized_keys" ? issue.keys[0] : ""));
    const value = field in raw ? JSON.stringify(raw[field]) : "(missing)";
    return `${source(field)}=${value}: ${issue.message}`;
  });
  return { ok: false, problems };
}

/** The raw `FAULT_*` values that are set, keyed by profile field. */
export function rawFaultsFromEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [field, variable] of Object.entries(faultEnvironmentNames)) {
    const value = env[variable];
    if (value !== undefined && value !== "") raw[field] = value;
  }
  return raw;
}

/** Reads `FAULT_*` variables; unset variables keep the healthy default. */
export function faultProfileFromEnvironment(env: NodeJS.ProcessEnv): FaultParseResult {
  return parseFaultProfile(rawFaultsFromEnvironment(env), (field) => faultEnvironmentNames[field as keyof FaultProfile] ?? field);
}

/** The inverse of `faultProfileFromEnvironment`: only non-default fields are set. */
export function faultProfileToEnvironment(profile: FaultProfile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, variable] of Object.entries(faultEnvironmentNames)) {
    const value = profile[field as keyof FaultProfile];
    if (value !== undefined) env[variable] = String(value);
  }
  return env;
}
