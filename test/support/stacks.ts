import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type PlatformConfig } from "../../config/platform-config.ts";
import { awsMocks } from "../../gate/mocks.ts";
import { runProgramUnderMocks, type ProgramRun, type RegisteredResource } from "../../gate/program-runner.ts";
import { readProjectFile, readStackConfig, type StackConfig } from "../../gate/stack-config.ts";

/** The repository root: where Pulumi.yaml and the stack files live. */
export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The stack file as the CLI would hand it to the program (secure values replaced by a placeholder). */
export async function stackConfigOf(stack: string): Promise<{ project: string; entry: string; config: StackConfig }> {
  const project = await readProjectFile(PROJECT_DIR);
  return { project: project.name, entry: project.entry, config: await readStackConfig(PROJECT_DIR, stack, project.name) };
}

/**
 * Runs the real program (index.ts) under mocks for one stack. `change` edits the stack's config
 * first (keys without the project prefix; `secret` marks keys set with --secret), for the cases a
 * real stack file does not cover.
 */
export async function runStack(stack: string, change?: ConfigChange, mocks?: pulumi.runtime.Mocks): Promise<ProgramRun> {
  const { project, entry, config } = await changedStackConfig(stack, change);
  return runProgramUnderMocks({
    project, stack, mocks: mocks ?? awsMocks(config.config["aws:region"] ?? "us-east-1"), config, program: entry,
  });
}

/**
 * Runs `program` (components on literal inputs, tested in isolation) under awsMocks for `region` (default
 * us-east-1) with an empty stack config, as project `project` (default readiness), stack `stack`.
 */
export function runUnderMocks(program: () => Promise<Record<string, unknown> | void>, options: { readonly project?: string; readonly stack: string; readonly region?: string }): Promise<ProgramRun> {
  return runProgramUnderMocks({
    project: options.project ?? "readiness", stack: options.stack, mocks: awsMocks(options.region ?? "us-east-1"), config: { config: {}, secretKeys: [] }, program,
  });
}

/** Edits to a stack file's config: keys without the project prefix. */
export interface ConfigChange {
  readonly set?: Record<string, unknown>;
  readonly unset?: readonly string[];
  /** Keys to mark as set with --secret. */
  readonly secret?: readonly string[];
}

async function changedStackConfig(stack: string, change?: ConfigChange): Promise<{ project: string; entry: string; config: StackConfig }> {
  const { project, entry, config } = await stackConfigOf(stack);
  const values = { ...config.config };
  const secretKeys = new Set(config.secretKeys);
  for (const key of change?.unset ?? []) delete values[`${project}:${key}`];
  for (const [key, value] of Object.entries(change?.set ?? {})) {
    values[`${project}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const key of change?.secret ?? []) secretKeys.add(`${project}:${key}`);
  return { project, entry, config: { config: values, secretKeys: [...secretKeys] } };
}

/** The validated config the program sees for a stack (the same pure parser index.ts uses). */
export async function platformConfigOf(stack: string, change?: ConfigChange): Promise<PlatformConfig> {
  const { project, config } = await changedStackConfig(stack, change);
  const result = parseStackConfig({ project, stack, ...config });
  if (!result.ok) throw new Error(`${stack}: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** awsMocks that also count the custom resources the program tried to register. */
export function countingMocks(region = "us-east-1"): { mocks: pulumi.runtime.Mocks; registered: () => string[] } {
  const inner = awsMocks(region);
  const names: string[] = [];
  return {
    registered: () => [...names],
    mocks: {
      call: (args) => inner.call(args),
      newResource: (args) => {
        if (args.custom !== false) names.push(`${args.type}::${args.name}`);
        return inner.newResource(args);
      },
    },
  };
}

/** Every custom resource of one type token, e.g. `aws:ec2/natGateway:NatGateway`. */
export function resourcesOfType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource of a type; fails loudly when there are none or several. */
export function onlyResourceOfType(run: ProgramRun, type: string): RegisteredResource {
  const found = resourcesOfType(run, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

/** The resource that has `state.id` (or `state.arn`) equal to `ref`, e.g. to follow a securityGroupId. */
export function resourceByRef(run: ProgramRun, ref: unknown): RegisteredResource | undefined {
  return run.resources.find((r) => r.state.id === ref || r.state.arn === ref);
}

/** Custom (non-component) resources: what a deployment would actually create. */
export function customResources(run: ProgramRun): RegisteredResource[] {
  return run.resources.filter((r) => r.custom);
}

/**
 * The part of a run built by the components whose type starts with `typePrefix` (e.g. `readiness:data:`):
 * the components and their direct children, so one tier's tests are not confused by another's resources.
 */
export function withinComponents(run: ProgramRun, typePrefix: string): ProgramRun {
  const components = new Set(run.resources.filter((r) => !r.custom && r.type.startsWith(typePrefix)).map((r) => r.urn));
  return { ...run, resources: run.resources.filter((r) => components.has(r.urn) || components.has(r.parent ?? "")) };
}

/** The one resource of a type whose name ends with `nameEnds`; the assertion names the ones found otherwise. */
export function one(run: ProgramRun, type: string, nameEnds = ""): RegisteredResource {
  const found = resourcesOfType(run, type).filter((r) => r.name.endsWith(nameEnds));
  assert.equal(found.length, 1, `expected one ${type} named *${nameEnds}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0] as RegisteredResource;
}

/** An IAM policy statement as the tests read it. */
export interface Statement { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[] }

/** The statements of a policy document given as its JSON text. */
export const statementsOf = (policy: unknown): Statement[] => (JSON.parse(String(policy)) as { Statement: Statement[] }).Statement;

/** A statement's Action or Resource, always as a list. */
export const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
