import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Why `file` cannot take a report (with how to fix it), or undefined when it can. Checked before the gate
 * runs, so a wrong `--out` costs a second, not a whole check, and never ends as a raw ENOENT/EISDIR.
 */
export async function checkOutputPath(file: string): Promise<string | undefined> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) return `is a directory; give a file name in it, e.g. --out ${path.join(file, "readiness.sarif")}`;
  if (existing !== undefined) {
    return (await writable(file)) ? undefined : "exists and is not writable; fix its permissions or choose another file";
  }
  const dir = path.dirname(path.resolve(file));
  const parent = await stat(dir).catch(() => undefined);
  if (parent === undefined) return `its directory ${dir} does not exist; create it first (mkdir -p ${dir}) or choose another path`;
  if (!parent.isDirectory()) return `${dir} is not a directory; choose another path`;
  return (await writable(dir)) ? undefined : `cannot create files in ${dir} (permission denied); choose a directory you can write to`;
}

async function writable(p: string): Promise<boolean> {
  return access(p, constants.W_OK).then(() => true, () => false);
}
