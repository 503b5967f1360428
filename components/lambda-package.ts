import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";

/** The repository root: archive paths are relative to it, so a handler's relative imports keep working. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Bare imports the Lambda Node.js runtime provides: the AWS SDK v3 and Node's own modules. Nothing else is there. */
function providedByRuntime(specifier: string): boolean {
  return specifier.startsWith("@aws-sdk/") || specifier.startsWith("node:");
}

/**
 * One TypeScript file as the ES module Lambda runs: type annotations removed (nothing bundled or minified),
 * an inline source map, and relative `.ts` imports rewritten to `.js`.
 */
export function transpileForLambda(sourceFile: string): string {
  return ts.transpileModule(readFileSync(sourceFile, "utf8"), {
    fileName: sourceFile,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, verbatimModuleSyntax: false, rewriteRelativeImportExtensions: true },
  }).outputText;
}

export interface LambdaModule {
  /** Path in the archive (repository-relative, `.js`). */
  readonly archivePath: string;
  readonly code: string;
}

/**
 * Transpiles a handler and every repository module it imports (relative imports, followed transitively) into
 * ES modules with the same relative layout, so that shared code (the rollout engine's state machine, the
 * listener helpers) runs in Lambda exactly as the tests and the local target run it. Types are stripped,
 * nothing is bundled or minified. A bare import the runtime does not provide is an error here, at deploy
 * time, instead of an `ERR_MODULE_NOT_FOUND` at the first alarm.
 */
export function lambdaModules(entryFile: string): LambdaModule[] {
  const modules = new Map<string, LambdaModule>();
  const pending = [path.resolve(entryFile)];
  const problems: string[] = [];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    const archivePath = path.relative(ROOT, file).replace(/\.ts$/, ".js");
    if (modules.has(archivePath)) continue;
    if (archivePath.startsWith("..")) {
      problems.push(`${file} is outside the repository`);
      continue;
    }
    const code = transpileForLambda(file);
    modules.set(archivePath, { archivePath, code });
    for (const { fileName: specifier } of ts.preProcessFile(code, true, true).importedFiles) {
      if (specifier.startsWith(".")) pending.push(path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")));
      else if (!providedByRuntime(specifier)) problems.push(`${path.relative(ROOT, file)} imports ${specifier}, which the Lambda runtime does not provide`);
    }
  }
  if (problems.length > 0) throw new Error(`cannot package ${path.relative(ROOT, entryFile)} for Lambda: ${problems.join("; ")}`);
  return [...modules.values()].sort((a, b) => a.archivePath.localeCompare(b.archivePath));
}

/** The archive of `lambdaModules(entryFile)` with a package.json marking `.js` as ES modules; handler: `<entry path>.handler`. */
export function lambdaModuleArchive(entryFile: string): { archive: pulumi.asset.AssetArchive; handler: string } {
  const assets: Record<string, pulumi.asset.Asset> = { "package.json": new pulumi.asset.StringAsset(`${JSON.stringify({ type: "module" })}\n`) };
  for (const module of lambdaModules(entryFile)) assets[module.archivePath] = new pulumi.asset.StringAsset(module.code);
  return { archive: new pulumi.asset.AssetArchive(assets), handler: `${path.relative(ROOT, path.resolve(entryFile)).replace(/\.ts$/, "")}.handler` };
}
