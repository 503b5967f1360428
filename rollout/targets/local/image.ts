import type { FaultProfile } from "../../shared/fault-profile.ts";
import { faultParameterNames, faultParameterOf, parseFaultProfile } from "../../shared/fault-profile.ts";

/**
 * What a local "image" names: a version of the sample app plus the faults it should have.
 * Format: `sample-app:<version>[?<fault>=<value>&...]`, e.g. `sample-app:2.0.0?error-rate=0.3&latency-ms=800`.
 * The faults are the sample app's (see docs/rollout-local.md); an image without a query is a healthy version.
 */
export interface LocalImage {
  readonly version: string;
  readonly faults: FaultProfile;
}

export type LocalImageResult = { ok: true; image: LocalImage } | { ok: false; problems: string[] };

const IMAGE_PATTERN = /^sample-app:([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?:\?(.*))?$/;
const EXAMPLE = "sample-app:2.0.0 or sample-app:2.0.0?error-rate=0.3";

export function parseLocalImage(image: string): LocalImageResult {
  const match = IMAGE_PATTERN.exec(image);
  if (match === null) {
    return { ok: false, problems: [`image=${JSON.stringify(image)}: the local target runs the sample app; use ${EXAMPLE}`] };
  }
  const [, version, query = ""] = match as unknown as [string, string, string | undefined];
  const raw: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of new URLSearchParams(query)) {
    const field = (faultParameterNames as Record<string, string>)[name];
    if (field === undefined) {
      problems.push(`image=${JSON.stringify(image)}: unknown fault "${name}"; known: ${Object.keys(faultParameterNames).join(", ")}`);
    } else {
      raw[field] = value;
    }
  }
  const parsed = parseFaultProfile(raw, (field) => `image=${JSON.stringify(image)}: fault ${faultParameterOf(field)}`);
  if (!parsed.ok) problems.push(...parsed.problems);
  if (problems.length > 0 || !parsed.ok) return { ok: false, problems };
  return { ok: true, image: { version, faults: parsed.profile } };
}
