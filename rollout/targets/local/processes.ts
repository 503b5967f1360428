import fs from "node:fs";
import { isProcessAlive } from "../../shared/processes.ts";

/** The variable every process of a loopback site carries in its process environment: the site's directory, so none can hide. */
export const LOCAL_DIR_VARIABLE = "READINESS_LOCAL_DIR";

/** Live processes started for the loopback site in `dir` (found through LOCAL_DIR_VARIABLE in /proc). */
export function processesOf(dir: string): number[] {
  const marker = `${LOCAL_DIR_VARIABLE}=${dir}\0`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (`${fs.readFileSync(`/proc/${entry}/environ`, "latin1")}\0`.includes(marker) && isProcessAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}
