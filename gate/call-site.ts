import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as pulumiModule from "@pulumi/pulumi";

/** Where a resource is declared: the program's line that constructs it. */
export interface SourceLocation {
  /** Absolute path. */
  readonly file: string;
  readonly line: number;
}

const THIS_FILE = fileURLToPath(import.meta.url);
const sites = new Map<string, SourceLocation>();

function key(type: string, name: string): string {
  return `${type}::${name}`;
}

/**
 * Records, for every resource the program registers from now on, the program's own line that constructs it.
 * A stack transformation runs synchronously inside the resource's constructor, so the call stack at that
 * moment still holds the program's frame (the mocks' newResource runs later, after the inputs resolved, and
 * has lost it). Call it inside the program's stack (`runInPulumiStack`), before the program runs, with the SDK
 * instance the program uses.
 */
export function captureCallSites(pulumi: typeof pulumiModule): void {
  sites.clear();
  pulumi.runtime.registerStackTransformation((args) => {
    // A component's first program frame is the `super(...)` in its own constructor; its declaration is the caller.
    const ownConstructor = args.resource instanceof pulumi.CustomResource ? undefined : `new ${args.resource.constructor.name}`;
    const site = programFrame(stackNow(), ownConstructor);
    if (site !== undefined) sites.set(key(args.type, args.name), site);
    return undefined;
  });
}

/** The resources with the line that declared each, where the last run captured it. */
export function withCallSites<T extends { readonly type: string; readonly name: string }>(resources: readonly T[]): (T & { source?: SourceLocation })[] {
  return resources.map((r) => {
    const source = sites.get(key(r.type, r.name));
    return source ? { ...r, source } : r;
  });
}

function stackNow(): string {
  const limit = Error.stackTraceLimit;
  // Library frames (the SDK's Resource constructors, awsx, ...) sit between the transformation and the program.
  Error.stackTraceLimit = 60;
  try {
    return new Error("call site").stack ?? "";
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const FRAME = /^at (?:(.+?) \()?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/;

/**
 * The first frame that is the program's: not this module, not a library, not Node's internals, and not
 * `skipFunction` (a component's own constructor).
 */
export function programFrame(stack: string, skipFunction?: string): SourceLocation | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const match = FRAME.exec(line.trim());
    if (match === null) continue;
    const [, fn, location, lineNumber] = match;
    const file = location.startsWith("file://") ? fileURLToPath(location.replace(/\?.*$/, "")) : location;
    if (file === THIS_FILE || file.split(path.sep).includes("node_modules") || (skipFunction !== undefined && fn === skipFunction)) continue;
    return { file, line: Number(lineNumber) };
  }
  return undefined;
}
