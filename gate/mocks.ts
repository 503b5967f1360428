import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The account every mocked ARN belongs to (AWS's documentation account). */
export const MOCK_ACCOUNT_ID = "123456789012";

type State = Record<string, unknown>;
type ResourceOutputs = (args: pulumi.runtime.MockResourceArgs, ids: { id: string; arn: string; region: string }) => State;
type CallResult = (args: pulumi.runtime.MockCallArgs, region: string) => State;

/**
 * Outputs AWS would report for each resource type beyond `id` and `arn` (endpoints, names, ...).
 * There is no autonaming under mocks, so anything a program reads back must be given here.
 */
const resourceOutputs: Record<string, ResourceOutputs> = {};

/** Answers for provider functions (data sources) the programs call. */
const callResults: Record<string, CallResult> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_args, region) => ({
    names: ["a", "b", "c"].map((z) => `${region}${z}`),
    zoneIds: ["1", "2", "3"].map((z) => `use1-az${z}`),
    state: "available",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/gate`, userId: "AIDAGATE",
  }),
  "aws:index/getRegion:getRegion": (_args, region) => ({ name: region, region, id: region }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (args) => ({ json: JSON.stringify(args.inputs) }),
};

/** Registers realistic outputs for one resource type (used by the modules that create that type). */
export function defineMockOutputs(type: string, outputs: ResourceOutputs): void {
  resourceOutputs[type] = outputs;
}

/** Registers the answer for one provider function. */
export function defineMockCall(token: string, result: CallResult): void {
  callResults[token] = result;
}

/** Deterministic, AWS-shaped ids: the same program always gets the same ids, so reports diff cleanly. */
export function mockId(prefix: string, name: string): string {
  return `${prefix}-${createHash("sha256").update(name).digest("hex").slice(0, 17)}`;
}

/** `aws:ec2/securityGroup:SecurityGroup` -> service `ec2`, kind `securitygroup`. */
function arnFor(type: string, name: string, region: string): string {
  const [, module = "resource", kind = "resource"] = type.split(/[:/]/);
  return `arn:aws:${module}:${region}:${MOCK_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`;
}

/** Mocks for any AWS program: every resource gets an id, an ARN and the per-type outputs above. */
export function awsMocks(region = "us-east-1"): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      const id = args.id || mockId(args.type.split(":").pop()?.toLowerCase().slice(0, 8) ?? "res", args.name);
      const arn = arnFor(args.type, args.name, region);
      const extra = resourceOutputs[args.type]?.(args, { id, arn, region }) ?? {};
      return { id, state: { ...args.inputs, id, arn, name: args.inputs.name ?? args.name, ...extra } };
    },
    call(args) {
      const answer = callResults[args.token];
      return answer ? answer(args, region) : args.inputs;
    },
  };
}
