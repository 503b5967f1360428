import { distance } from "fastest-levenshtein";

/**
 * The nearest of `candidates` to what the user typed, when it is near enough to be a typo: within a third of
 * the word's length (at least 1, at most 3 edits). `databse` -> `database`, `--stpes` -> `--steps`.
 */
export function suggestion(typed: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of candidates) {
    const edits = distance(typed.toLowerCase(), candidate.toLowerCase());
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { candidate, edits };
  }
  return best?.candidate;
}
