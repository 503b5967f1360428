import { distance } from "fastest-levenshtein";

/**
 * The nearest of `candidates` to what the user typed, when it is near enough to be a typo: 1 edit for words
 * of up to 3 letters, 2 up to 7 (two swapped letters are 2 edits: `nmae` -> `name`), 3 beyond.
 * `databse` -> `database`, `--stpes` -> `--steps`.
 */
export function suggestion(typed: string, candidates: readonly string[]): string | undefined {
  const limit = typed.length <= 3 ? 1 : typed.length <= 7 ? 2 : 3;
  let best: { candidate: string; edits: number } | undefined;
  for (const candidate of candidates) {
    const edits = distance(typed.toLowerCase(), candidate.toLowerCase());
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { candidate, edits };
  }
  return best?.candidate;
}
