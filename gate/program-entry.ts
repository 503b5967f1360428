import { readFile, stat } from "node:fs/promises";
import path from "node:path";

/** How the Node.js language host would load a program: `require` for CommonJS, `import()` for an ES module. */
export type ModuleKind = "commonjs" | "module";

export interface ProgramEntry {
  /** Absolute path of the module the language host would load. */
  readonly file: string;
  readonly kind: ModuleKind;
  /** The directory holding the program's package.json (the program's own root). */
  readonly packageRoot: string;
}

export class ProgramEntryError extends Error {
  override readonly name = "ProgramEntryError";
}

interface PackageJson {
  type?: string;
  main?: string;
  exports?: string | Record<string, string | Record<string, string>>;
}

/**
 * Finds the program's entry as `pulumi preview` does: Pulumi.yaml's `main` (a file or a directory) wins;
 * otherwise package.json's `exports` or `main`; otherwise the directory's index file.
 */
export async function resolveProgramEntry(dir: string, main?: string): Promise<ProgramEntry> {
  const start = path.resolve(dir, main ?? ".");
  const packageRoot = await packageRootOf(start);
  const pkg = packageRoot ? await readPackageJson(packageRoot) : {};
  let target = start;
  if (main === undefined && packageRoot) {
    const fromPackage = packageEntry(pkg);
    if (fromPackage !== undefined && await exists(path.resolve(packageRoot, fromPackage))) target = path.resolve(packageRoot, fromPackage);
  }
  const file = await indexIn(target);
  if (file === undefined) {
    const said = main !== undefined ? `Pulumi.yaml's main (${main})` : "package.json's main, or an index file";
    throw new ProgramEntryError(`no program to run in ${dir}: ${said} names no file that exists (${target}); set "main" in Pulumi.yaml or package.json to the program's entry file`);
  }
  const kind: ModuleKind = /\.m[jt]s$/.test(file) || (pkg.type === "module" && !/\.c[jt]s$/.test(file)) ? "module" : "commonjs";
  return { file, kind, packageRoot: packageRoot ?? path.dirname(file) };
}

function packageEntry(pkg: PackageJson): string | undefined {
  if (typeof pkg.exports === "string") return pkg.exports;
  const dot = pkg.exports?.["."];
  if (typeof dot === "string") return dot;
  if (dot && typeof dot === "object") return dot.default ?? dot.require ?? dot.import;
  return typeof pkg.main === "string" ? pkg.main : undefined;
}

/** A file as given, or a directory's index (index.js first, as require and the language host pick it). */
async function indexIn(target: string): Promise<string | undefined> {
  const info = await stat(target).catch(() => undefined);
  if (info?.isFile()) return target;
  if (!info?.isDirectory()) {
    for (const ext of [".ts", ".js"]) if (await exists(`${target}${ext}`)) return `${target}${ext}`;
    return undefined;
  }
  for (const index of ["index.js", "index.mjs", "index.ts", "index.mts"]) {
    if (await exists(path.join(target, index))) return path.join(target, index);
  }
  return undefined;
}

async function packageRootOf(start: string): Promise<string | undefined> {
  let at = (await stat(start).catch(() => undefined))?.isDirectory() ? start : path.dirname(start);
  for (;;) {
    if (await exists(path.join(at, "package.json"))) return at;
    const up = path.dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

async function readPackageJson(root: string): Promise<PackageJson> {
  const file = path.join(root, "package.json");
  try {
    return JSON.parse(await readFile(file, "utf8")) as PackageJson;
  } catch (err) {
    throw new ProgramEntryError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}
